#!/usr/bin/env bash
# Side-by-side benchmark of `chaos` against the Python Chaos Toolkit.
#
#   bench/run.sh            # full run (about 2-6 minutes, depending on load)
#   bench/run.sh --quick    # fewer repetitions
#   bench/run.sh --out FILE # where to write the Markdown report
#                           # (default bench/results/latest.md)
#
# Environment: BENCH_STARTUP_RUNS, BENCH_RUNS (N=1 and N=100), BENCH_LARGE_RUNS
# (N=1000), BENCH_SPAWNS (bare-spawn batch size), CHAOS_BENCH_VENV (the
# reference's venv; default ${XDG_CACHE_HOME:-$HOME/.cache}/chaos-bench/ctk-venv),
# PYTHON (interpreter for the venv and the script; default python3),
# BENCH_SKIP_BUILD=1 (use target/dist/chaos as it is), BENCH_NICE (see
# bench.py --help: e.g. -10 to shield the measurements on a busy machine).
# bench.py options pass through: --quick, --out FILE, --no-http, --no-python,
# --keep.
#
# This is a benchmark, not a test: it prints figures and PASS/FAIL against the
# project's targets, and exits 0 whatever they are (non-zero only if it could
# not measure).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$here")"
cd "$root"

PYTHON="${PYTHON:-python3}"
CTK_VERSION="1.19.0"
CTK_LIB_VERSION="1.44.0"
venv="${CHAOS_BENCH_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/chaos-bench/ctk-venv}"

say() { printf '[run.sh] %s\n' "$*" >&2; }

# --- tools from Debian: hyperfine (bare-spawn cross-check), nginx, GNU time ---
missing=()
[ -x /usr/bin/time ] || missing+=(time)
command -v hyperfine >/dev/null 2>&1 || missing+=(hyperfine)
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || missing+=(nginx)
if [ "${#missing[@]}" -gt 0 ]; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        say "installing ${missing[*]} from Debian"
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
    else
        say "missing ${missing[*]}: install them (apt-get install ${missing[*]})"
        exit 1
    fi
fi
# bench.py starts its own nginx on a free 127.0.0.1 port with a temporary
# config, and stops it at the end; a system nginx, if any, is left alone.

# --- our binary ---------------------------------------------------------------
if [ "${BENCH_SKIP_BUILD:-0}" != 1 ]; then
    say "cargo build --profile dist -p chaos"
    cargo build --profile dist -p chaos
fi
chaos="$root/target/dist/chaos"
[ -x "$chaos" ] || { say "no $chaos"; exit 1; }

# --- the reference, in a cached venv ------------------------------------------
venv_ok() {
    [ -x "$venv/bin/chaos" ] || return 1
    "$venv/bin/chaos" --version 2>/dev/null | grep -qx "chaos, version $CTK_VERSION" || return 1
    "$venv/bin/python" - <<PY 2>/dev/null
import importlib.metadata as m, jsonpath2
assert m.version("chaostoolkit-lib") == "$CTK_LIB_VERSION"
PY
}
if ! venv_ok; then
    say "creating the reference's venv in $venv"
    rm -rf "$venv"
    mkdir -p "$(dirname "$venv")"
    "$PYTHON" -m venv "$venv"
    "$venv/bin/pip" install -q --disable-pip-version-check \
        "chaostoolkit==$CTK_VERSION" "chaostoolkit-lib[jsonpath]==$CTK_LIB_VERSION"
    venv_ok || { say "the reference's venv does not work"; exit 1; }
else
    say "reusing the reference's venv in $venv"
fi

# python activities: `chaos run --python` gets the venv's own interpreter, so
# both tools import the same Python (bench.py checks it).
exec "$PYTHON" "$here/bench.py" --chaos "$chaos" --ctk "$venv/bin/chaos" \
    --ref-python "$venv/bin/python" "$@"
