#!/usr/bin/env python3
"""Benchmark of `chaos proxy serve` on loopback, in one run, side by side with
a direct connection and with a minimal C splice() forwarder (the practical
ceiling here: client, forwarder and server share 2 cores).

Measured with wrk (Debian) against nginx (Debian) serving a small page (for
round-trip latency, one connection) and a 16 MiB file (for throughput, four
connections):

  1. added latency, p50 and p99, through the proxy with no toxic, against a
     direct connection (target: at most 30 us added at p50);
  2. throughput through the proxy against the splice() forwarder (target: at
     least 90 %);
  3. accuracy of a 10 ms latency toxic: the delay it adds at p99 (its round
     trip's p99 less the proxy's own p99 without it) within 1 ms of 10 ms;
  4. memory of the proxy holding 10,000 open connections.

A benchmark, not a test: it prints figures and PASS/FAIL against the targets
and exits 0 whatever they are (non-zero only if it could not measure).
Usage: bench/proxy/run.sh [--quick] [--out FILE]
"""

import argparse
import json
import os
import re
import resource
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
from bench import Nginx, free_port, cpu_model, loadavg  # noqa: E402


def log(*a):
    print("[proxy-bench]", *a, file=sys.stderr, flush=True)


def api(port, method, path, body=None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=data, method=method)
    with urllib.request.urlopen(req, timeout=5) as r:
        return json.loads(r.read() or b"null")


def wait_port(port, seconds=10):
    deadline = time.time() + seconds
    while time.time() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listens on {port}")


UNITS = {"us": 1e-6, "ms": 1e-3, "s": 1.0}
SIZES = {"B": 1, "KB": 1024, "MB": 1024 ** 2, "GB": 1024 ** 3}


def wrk(url, connections, seconds):
    out = subprocess.run(
        ["wrk", "-t", str(min(connections, 2)), "-c", str(connections), "-d", f"{seconds}s",
         "--latency", url],
        capture_output=True, text=True, timeout=seconds + 30)
    out = out.stdout + out.stderr
    lat = {}
    for pct, value, unit in re.findall(r"^\s+(50|99)%\s+([\d.]+)(us|ms|s)\s*$", out, re.M):
        lat[pct] = float(value) * UNITS[unit]
    m = re.search(r"Transfer/sec:\s+([\d.]+)(B|KB|MB|GB)", out)
    rate = float(m.group(1)) * SIZES[m.group(2)] if m else float("nan")
    if "50" not in lat:
        raise RuntimeError(f"wrk gave no latency for {url}:\n{out}")
    return {"p50": lat["50"], "p99": lat.get("99", float("nan")), "bytes_per_s": rate}


def rss_kb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def hold_connections(port, count):
    socks = []
    for _ in range(count):
        s = socket.socket()
        s.setblocking(False)
        try:
            s.connect(("127.0.0.1", port))
        except BlockingIOError:
            pass
        socks.append(s)
    return socks


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--chaos", required=True)
    ap.add_argument("--splice", required=True, help="the compiled splice_forward")
    ap.add_argument("--floor", help="the copy_floor example (tokio copy_bidirectional)")
    ap.add_argument("--nginx", default="/usr/sbin/nginx")
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--connections", type=int, default=10000)
    ap.add_argument("--out", default=os.path.join(os.path.dirname(HERE), "results", "proxy-latest.md"))
    args = ap.parse_args()
    seconds = 2 if args.quick else 5
    rounds = 1 if args.quick else 3

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = min(hard, 4 * args.connections + 1000)
    if soft < want:
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))

    work = tempfile.mkdtemp(prefix="chaos-proxy-bench-")
    procs = []
    nginx = Nginx(args.nginx, work)
    try:
        nginx.start()
        big = os.path.join(nginx.dir, "www", "big.bin")
        with open(big, "wb") as f:
            f.write(os.urandom(16 * 1024 * 1024))
        os.chmod(big, 0o644)
        log(f"nginx on {nginx.port}")

        splice_port = free_port()
        procs.append(subprocess.Popen([args.splice, str(splice_port), str(nginx.port)]))
        wait_port(splice_port)

        floor_port = None
        if args.floor:
            floor_port = free_port()
            procs.append(subprocess.Popen([args.floor, str(floor_port), str(nginx.port)]))
            wait_port(floor_port)

        api_port = free_port()
        chaos = subprocess.Popen([args.chaos, "--no-log-file", "proxy", "serve", "--port", str(api_port)],
                                 stderr=subprocess.DEVNULL)
        procs.append(chaos)
        wait_port(api_port)
        plain = api(api_port, "POST", "/proxies",
                    {"name": "plain", "listen": "127.0.0.1:0", "upstream": f"127.0.0.1:{nginx.port}"})
        slow = api(api_port, "POST", "/proxies",
                   {"name": "slow", "listen": "127.0.0.1:0", "upstream": f"127.0.0.1:{nginx.port}"})
        api(api_port, "POST", "/proxies/slow/toxics",
            {"type": "latency", "attributes": {"latency": 10}})
        plain_port = int(plain["listen"].rsplit(":", 1)[1])
        slow_port = int(slow["listen"].rsplit(":", 1)[1])

        targets = {"direct": nginx.port, "splice": splice_port, "chaos": plain_port}
        if floor_port:
            targets["floor"] = floor_port
        lat = {k: [] for k in targets}
        thr = {k: [] for k in targets}
        for r in range(rounds):
            for name, port in targets.items():
                lat[name].append(wrk(f"http://127.0.0.1:{port}/", 1, seconds))
                thr[name].append(wrk(f"http://127.0.0.1:{port}/big.bin", 4, seconds))
            log(f"round {r + 1}/{rounds} done")
        toxic = [wrk(f"http://127.0.0.1:{slow_port}/", 1, seconds) for _ in range(rounds)]

        # Memory with many open connections (each also opens one upstream).
        holder_port = free_port()
        holder = socket.socket()
        holder.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        holder.bind(("127.0.0.1", holder_port))
        holder.listen(65535)
        held_upstream = []
        api(api_port, "POST", "/proxies",
            {"name": "many", "listen": "127.0.0.1:0", "upstream": f"127.0.0.1:{holder_port}"})
        many_port = int(api(api_port, "GET", "/proxies/many")["listen"].rsplit(":", 1)[1])
        time.sleep(0.5)
        before = rss_kb(chaos.pid)
        clients = hold_connections(many_port, args.connections)
        holder.setblocking(False)
        deadline = time.time() + 60
        while len(held_upstream) < args.connections and time.time() < deadline:
            try:
                c, _ = holder.accept()
                held_upstream.append(c)
            except BlockingIOError:
                time.sleep(0.01)
        time.sleep(1.0)
        after = rss_kb(chaos.pid)
        held = len(held_upstream)
        for s in clients + held_upstream:
            s.close()
        holder.close()
    finally:
        for p in procs:
            p.terminate()
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()
        nginx.stop()

    med = lambda xs, k: statistics.median(x[k] for x in xs)  # noqa: E731
    d50, d99 = med(lat["direct"], "p50"), med(lat["direct"], "p99")
    s50, s99 = med(lat["splice"], "p50"), med(lat["splice"], "p99")
    c50, c99 = med(lat["chaos"], "p50"), med(lat["chaos"], "p99")
    dt, st, ct = (med(thr[k], "bytes_per_s") for k in ("direct", "splice", "chaos"))
    t50, t99 = med(toxic, "p50"), med(toxic, "p99")
    added50 = c50 - d50
    ratio = ct / st if st else float("nan")
    toxic_err = t99 - c99 - 0.010
    per_conn = (after - before) / held if held else float("nan")

    us = lambda s: f"{s * 1e6:.0f} µs"  # noqa: E731
    ms = lambda s: f"{s * 1e3:.2f} ms"  # noqa: E731
    mb = lambda b: f"{b / 1e6:.0f} MB/s"  # noqa: E731
    ok = lambda c: "PASS" if c else "FAIL"  # noqa: E731
    lines = [
        "# chaos proxy benchmark",
        "",
        f"{time.strftime('%Y-%m-%d %H:%M')} · {cpu_model()} · {os.cpu_count()} cores · load {loadavg()} · "
        f"wrk {seconds} s × {rounds} rounds (medians)",
        "",
        "| path | p50 round trip | p99 round trip | throughput (16 MiB file, 4 connections) |",
        "|---|---|---|---|",
        f"| direct to nginx | {us(d50)} | {us(d99)} | {mb(dt)} |",
        f"| C splice() forwarder | {us(s50)} | {us(s99)} | {mb(st)} ({st / dt:.0%} of direct) |",
        f"| chaos proxy, no toxic | {us(c50)} | {us(c99)} | {mb(ct)} ({ct / dt:.0%} of direct) |",
    ]
    if "floor" in lat:
        f50, f99 = med(lat["floor"], "p50"), med(lat["floor"], "p99")
        ft = med(thr["floor"], "bytes_per_s")
        lines.append(f"| tokio copy_bidirectional (floor for a tokio forwarder) | {us(f50)} | {us(f99)} | {mb(ft)} ({ft / dt:.0%} of direct) |")
    lines += [
        f"| chaos proxy, 10 ms latency toxic | {ms(t50)} | {ms(t99)} | |",
        "",
        "| target | figure | verdict |",
        "|---|---|---|",
        f"| added latency at p50, no toxic ≤ 30 µs | {us(added50)} (splice adds {us(s50 - d50)}"
        + (f", tokio copy adds {us(f50 - d50)}" if "floor" in lat else "") + f") | {ok(added50 <= 30e-6)} |",
        f"| throughput ≥ 90 % of splice() | {ratio:.0%} | {ok(ratio >= 0.90)} |",
        f"| 10 ms toxic adds 10 ms ± 1 ms at p99 | {ms(t99 - c99)} added ({ms(toxic_err)} over) | {ok(abs(toxic_err) <= 0.001)} |",
        f"| memory, {held} open connections (each with its upstream) | {(after - before) / 1024:.1f} MiB more "
        f"({per_conn:.1f} KiB each; {before / 1024:.1f} MiB before) | info |",
        "",
    ]
    report = "\n".join(lines)
    print(report)
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    with open(args.out, "w") as f:
        f.write(report)
    log(f"wrote {args.out}")


if __name__ == "__main__":
    main()
