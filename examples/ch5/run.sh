#!/usr/bin/env bash
# The book's chapter-5 story, end to end, with nothing to start by hand:
# build chaos and the sample service, start the service, run the experiment
# against the first version of the service (it deviates: a weakness), then
# against the improved one (the hypothesis holds), and stop the service.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
cargo build --release --quiet --manifest-path "$root/Cargo.toml" -p chaos -p chaos-sample-service
bin="$root/target/release"
work="$(mktemp -d)"
trap 'kill "${service_pid:-0}" 2>/dev/null || true; rm -rf "$work"' EXIT
cp "$here/experiment.json" "$work/"
cd "$work"

run_against() { # $1: extra service flag, $2: heading
  echo "exchange rate 1.0842" > exchange.dat
  rm -f exchange.dat.old
  coproc SERVICE { exec "$bin/chaos-sample-service" --port 0 --max-seconds 120 $1; }
  service_pid=$SERVICE_PID
  read -r port <&"${SERVICE[0]}"
  echo
  echo "=== $2 (service on 127.0.0.1:$port) ==="
  set +e
  SERVICE_URL="http://127.0.0.1:$port/" "$bin/chaos" run --journal-path "journal-$3.json" experiment.json
  code=$?
  set -e
  echo "=== chaos exited with $code; journal: $work/journal-$3.json ==="
  kill "$service_pid" 2>/dev/null || true
  wait "$service_pid" 2>/dev/null || true
  return 0
}

run_against "" "First version: the service fails hard when its exchange file is gone" before
run_against "--improved" "Improved version: the service answers 503 while the file is gone" after
