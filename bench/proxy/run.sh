#!/usr/bin/env bash
# Benchmark of `chaos proxy serve` against a direct connection and a C
# splice() forwarder, with wrk and nginx from Debian (installed if missing).
#
#   bench/proxy/run.sh [--quick] [--connections N] [--out FILE]
#
# BENCH_SKIP_BUILD=1 uses target/release/chaos as it is. A benchmark, not a
# test: it prints figures and PASS/FAIL against the targets.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
cd "$root"
say() { printf '[proxy/run.sh] %s\n' "$*" >&2; }

missing=()
command -v wrk >/dev/null 2>&1 || missing+=(wrk)
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || missing+=(nginx)
command -v gcc >/dev/null 2>&1 || missing+=(gcc)
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
if [ "${BENCH_SKIP_BUILD:-0}" != 1 ]; then
    say "cargo build --release -p chaos"
    cargo build --release -p chaos
fi
cargo build --release -q -p chaos-proxy --example copy_floor
build="$(mktemp -d)"
trap 'rm -rf "$build"' EXIT
gcc -O2 -pthread -o "$build/splice_forward" "$here/splice_forward.c"
exec "${PYTHON:-python3}" "$here/proxy_bench.py" --chaos "$root/target/release/chaos" \
    --splice "$build/splice_forward" --floor "$root/target/release/examples/copy_floor" "$@"
