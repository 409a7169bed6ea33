#!/usr/bin/env bash
# `chaos report` against the reference's (chaostoolkit-reporting, which
# renders through pandoc) on the same journals, in one run: wall time
# (hyperfine medians) and peak RSS (GNU time), with ratios. A benchmark,
# not a test; it exits 0 whatever the figures are.
#
#   bench/report/run.sh            # build --profile dist, then measure
#   BENCH_SKIP_BUILD=1 bench/report/run.sh
#
# The reference's venv (chaostoolkit 1.19.0, chaostoolkit-lib 1.44.0,
# chaostoolkit-reporting, and pandoc from the pypandoc_binary wheel) is made
# once in ${XDG_CACHE_HOME:-$HOME/.cache}/chaos-bench/report-venv.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
cache="${XDG_CACHE_HOME:-$HOME/.cache}/chaos-bench"
venv="$cache/report-venv"
runs="${BENCH_RUNS:-7}"
say() { printf 'bench: %s\n' "$*" >&2; }

for tool in hyperfine /usr/bin/time; do
    command -v "$tool" >/dev/null || {
        say "installing hyperfine and time"
        apt-get install -y -qq hyperfine time >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq hyperfine time >/dev/null; }
    }
done
if [ "${BENCH_SKIP_BUILD:-0}" != 1 ]; then
    say "cargo build --profile dist -p chaos"
    (cd "$root" && cargo build --profile dist -q -p chaos)
fi
chaos="$root/target/dist/chaos"
if [ ! -x "$venv/bin/chaos" ] || ! "$venv/bin/python" -c 'import chaosreport, pypandoc' 2>/dev/null; then
    say "creating the reference's venv in $venv"
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q chaostoolkit==1.19.0 'chaostoolkit-lib[jsonpath]==1.44.0' chaostoolkit-reporting pypandoc_binary
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
src="$root/crates/report/tests/data/reference-journals"
mkdir -p "$work/one" "$work/fifty" "$work/thousand"
cp "$src/hyp-deviated.json" "$work/one/"
# Journals the reference can read (it needs chaoslib-version and duration,
# and env secrets set): the acceptance cases, repeated.
usable=(hyp-deviated process-failures background-activities pauses-before-after rb-always-after-failed tol-probe-process-http hyp-probe-fails-before)
for i in $(seq 0 999); do
    name="${usable[$((i % ${#usable[@]}))]}"
    cp "$src/$name.json" "$work/thousand/$(printf %04d $i).json"
    [ "$i" -lt 50 ] && cp "$src/$name.json" "$work/fifty/$(printf %04d $i).json"
done
fifty=("$work"/fifty/*.json)

say "one journal, then 50, HTML: chaos vs the reference ($runs runs each)"
hyperfine -N -w 1 -r "$runs" --export-json "$work/one.json" \
    "$chaos report --export-format html $work/one/hyp-deviated.json $work/o1.html" \
    "$venv/bin/chaos --no-log-file report --export-format html $work/one/hyp-deviated.json $work/r1.html" >&2
hyperfine -N -w 1 -r "$runs" --export-json "$work/fifty.json" \
    "$chaos report --export-format html $work/fifty $work/o50.html" \
    "$venv/bin/chaos --no-log-file report --export-format html ${fifty[*]} $work/r50.html" >&2
say "1000 journals, HTML and PDF: chaos alone (the reference would take minutes)"
hyperfine -N -w 1 -r "$runs" --export-json "$work/thousand.json" \
    "$chaos report --export-format html $work/thousand $work/o1000.html" \
    "$chaos report --export-format pdf $work/thousand $work/o1000.pdf" >&2 || true
rss() { /usr/bin/time -f %M "$@" 2>&1 >/dev/null | tail -1; }
rss_ours_1=$(rss "$chaos" report --export-format html "$work/one/hyp-deviated.json" "$work/o1.html")
rss_ref_1=$(rss "$venv/bin/chaos" --no-log-file report --export-format html "$work/one/hyp-deviated.json" "$work/r1.html")
rss_ours_1000=$(rss "$chaos" report --export-format html "$work/thousand" "$work/o1000.html")

python3 - "$work" "$rss_ours_1" "$rss_ref_1" "$rss_ours_1000" <<'PY'
import json, sys, os
work, r1, rr1, r1000 = sys.argv[1], *map(int, sys.argv[2:])
def medians(name):
    return [r["median"] for r in json.load(open(os.path.join(work, name)))["results"]]
one, fifty, thousand = medians("one.json"), medians("fifty.json"), medians("thousand.json")
print("| report | chaos | reference | speed-up |")
print("|---|---:|---:|---:|")
print(f"| 1 journal, HTML | {one[0]*1000:.1f} ms | {one[1]*1000:.0f} ms | {one[1]/one[0]:.0f}x |")
print(f"| 50 journals, HTML | {fifty[0]*1000:.1f} ms | {fifty[1]*1000:.0f} ms | {fifty[1]/fifty[0]:.0f}x |")
print(f"| 1000 journals, HTML | {thousand[0]*1000:.0f} ms | | |")
if len(thousand) > 1:
    print(f"| 1000 journals, PDF | {thousand[1]*1000:.0f} ms | | |")
print()
print("| peak RSS | chaos | reference |")
print("|---|---:|---:|")
print(f"| 1 journal, HTML | {r1/1024:.1f} MB | {rr1/1024:.1f} MB |")
print(f"| 1000 journals, HTML | {r1000/1024:.1f} MB | |")
target = "PASS" if thousand[0] < 2.0 and r1000 < 100 * 1024 else "FAIL"
print(f"\ntarget: 1000 journals in < 2 s and < 100 MB: {thousand[0]:.2f} s, {r1000/1024:.1f} MB: **{target}**")
PY
