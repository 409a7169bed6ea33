#!/usr/bin/env bash
# Fuzzes experiment load + validate for a bounded time. For developers, not CI.
#
#   fuzz/run.sh [SECONDS] [TARGET...]
#
# SECONDS (or $FUZZ_SECONDS) is the time per target, 60 by default. The
# targets are load_json, load_yaml and load_validate (all by default). Other
# knobs, all optional:
#   FUZZ_CASES       conformance cases to seed from
#                    (default: ../shared/conformance/cases from the repo root)
#   FUZZ_SANITIZER   cargo-fuzz --sanitizer (default: none; the code under
#                    test is safe Rust, and without ASan it runs ~2x faster)
#   FUZZ_TIMEOUT     seconds one input may take before it is a hang (2)
#   FUZZ_RSS_MB      memory limit, MB (512; 2048 with ASan, whose shadow
#                    memory and quarantine alone pass 512 MB after a while:
#                    one allocation is still limited to 512 MB then)
#   FUZZ_ARGS        more libFuzzer flags, e.g. "-max_len=16384 -jobs=2"
#   FUZZ_PYTHON      1: let the python driver import modules in a real Python
#                    worker (default: no interpreter, see fuzz/src/lib.rs)
#
# New inputs go to fuzz/corpus/TARGET, crashes, hangs and OOMs to
# fuzz/artifacts/TARGET. Every one of them becomes a regression test in
# crates/experiment/tests/fuzz_regressions.rs (see fuzz/README.md).
set -uo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"

seconds="${FUZZ_SECONDS:-60}"
if [[ $# -gt 0 && "$1" =~ ^[0-9]+$ ]]; then
    seconds="$1"
    shift
fi
targets=("$@")
if [[ ${#targets[@]} -eq 0 ]]; then
    targets=(load_json load_yaml load_validate)
fi
cases="${FUZZ_CASES:-$root/../shared/conformance/cases}"
sanitizer="${FUZZ_SANITIZER:-none}"
timeout_s="${FUZZ_TIMEOUT:-2}"
if [[ "$sanitizer" == address ]]; then
    rss_mb="${FUZZ_RSS_MB:-2048}"
    malloc_mb=512
else
    rss_mb="${FUZZ_RSS_MB:-512}"
    malloc_mb="$rss_mb"
fi
read -r -a extra <<<"${FUZZ_ARGS:-}"

if ! cargo +nightly --version >/dev/null 2>&1; then
    echo "run.sh: the nightly toolchain is needed: rustup toolchain install nightly" >&2
    exit 2
fi
if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "run.sh: installing cargo-fuzz (from crates.io, takes a few minutes)" >&2
    cargo install cargo-fuzz || exit 2
fi

# Seeds: every conformance experiment, as the format(s) each target reads,
# plus a few YAML documents for what the cases do not use (anchors, merge
# keys, tags, YAML 1.1 scalars). They are regenerated on every run.
seeds="$here/corpus/seeds"
rm -rf "$seeds"
mkdir -p "$seeds/load_json" "$seeds/load_yaml" "$seeds/load_validate"
n=0
shopt -s nullglob
for f in "$cases"/*/experiment.*; do
    name="$(basename "$(dirname "$f")")"
    case "$f" in
    *.json)
        cp "$f" "$seeds/load_json/$name.json"
        cp "$f" "$seeds/load_yaml/$name.json" # YAML 1.1 reads (most) JSON
        { printf 'J'; cat "$f"; } >"$seeds/load_validate/J-$name"
        { printf 'Y'; cat "$f"; } >"$seeds/load_validate/Y-$name.json"
        ;;
    *.yaml | *.yml)
        cp "$f" "$seeds/load_yaml/$name.yaml"
        { printf 'Y'; cat "$f"; } >"$seeds/load_validate/Y-$name"
        ;;
    *) continue ;;
    esac
    n=$((n + 1))
done
shopt -u nullglob
if [[ $n -eq 0 ]]; then
    echo "run.sh: warning: no experiment.* found under $cases; starting from the built-in seeds only" >&2
fi
cat >"$seeds/load_yaml/anchors.yaml" <<'EOF'
version: "1.0.0"
title: anchors, merge keys, tags
description: !!str yes
defaults: &provider
  type: process
  path: echo
  arguments: [a, 010, 0x1F, 1:30, 1e3, ~, 2001-12-14t21:59:43.10-05:00]
steady-state-hypothesis:
  title: hypo
  probes:
  - &probe
    type: probe
    name: p
    tolerance: [0, 1]
    provider:
      <<: *provider
      timeout: 1.5
  - <<: *probe
    name: q
    tolerance: {type: regex, pattern: "^(?P<x>a+)$", target: stdout}
method:
- *probe
- type: action
  name: a
  provider: {type: http, url: "http://127.0.0.1:1/", expected_status: 200}
  pauses: {before: 0, after: 1}
rollbacks: []
configuration:
  c: {type: env, key: ACC_INT, env_var_type: int}
secrets:
  s: {t: {type: env, key: ACC_STR}}
EOF
{ printf 'Y'; cat "$seeds/load_yaml/anchors.yaml"; } >"$seeds/load_validate/Y-anchors"

cd "$root" || exit 2
status=0
for t in "${targets[@]}"; do
    mkdir -p "$here/corpus/$t" "$here/artifacts/$t"
    echo "== $t: ${seconds}s (timeout ${timeout_s}s/input, rss limit ${rss_mb} MB, malloc limit ${malloc_mb} MB, sanitizer $sanitizer)" >&2
    cargo +nightly fuzz run --sanitizer "$sanitizer" "$t" \
        "$here/corpus/$t" "$seeds/$t" -- \
        -max_total_time="$seconds" \
        -timeout="$timeout_s" \
        -rss_limit_mb="$rss_mb" \
        -malloc_limit_mb="$malloc_mb" \
        -dict="$here/experiment.dict" \
        -print_final_stats=1 \
        "${extra[@]}"
    rc=$?
    if [[ $rc -ne 0 ]]; then
        echo "== $t: FAILED (exit $rc): see fuzz/artifacts/$t/ and turn the input into a test in crates/experiment/tests/fuzz_regressions.rs" >&2
        status=1
    fi
done
found=$(find "$here/artifacts" -type f 2>/dev/null | wc -l)
echo "== done: $found artifact(s) under fuzz/artifacts/" >&2
exit $status
