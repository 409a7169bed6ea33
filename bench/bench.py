#!/usr/bin/env python3
"""Side-by-side benchmark: `chaos` (this repo) against the Python Chaos Toolkit.

Standard library only. Normally started by bench/run.sh, which builds `chaos`,
prepares the reference's venv and installs hyperfine/nginx when missing.

What it measures, in one run, for both tools:
  1. start-up: `--version` and `validate <small experiment>` (wall time, peak RSS);
  2. per-activity cost of process probes: a method of N process actions running
     /bin/true, N = 1, 100, 1000; compared with a bare spawn of /bin/true;
  3. per-activity cost of HTTP probes: N http probes against nginx on loopback;
  4. per-activity cost of python activities: N python actions calling a trivial
     function (`benchmod.noop`, a module written to the temporary folder and put
     on PYTHONPATH for both tools); `chaos` is given the reference venv's own
     interpreter (`run --python`), so both import the same Python;
  5. peak memory (max RSS) of `--version` and of the 1000-activity runs.

Timed runs are spawned with os.posix_spawn and reaped with os.wait4: the wall
time is time.perf_counter around the pair, the CPU time (user+sys) comes from
that very child's rusage. Peak RSS is measured in separate runs under
`/usr/bin/time -f %M`: a child spawned by Python itself would inherit Python's
own high-water mark (Linux folds the pre-exec address space's peak into
ru_maxrss, and posix_spawn's vfork shares Python's), which would hide a small
binary's footprint behind ~20 MB of Python. Configurations are interleaved
round by round so that background load on a shared machine hits both tools
alike. Medians everywhere.
"""

import argparse
import datetime
import http.client
import json
import os
import platform
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)

# Targets from the project's issue.
TARGET_STARTUP_SPEEDUP = 50.0  # reference time / chaos time, at least
TARGET_STARTUP_MEMORY = 0.25  # chaos RSS / reference RSS, at most
TARGET_PROCESS_VS_SPAWN = 1.15  # chaos per process activity / bare spawn, at most
TARGET_HTTP_SPEEDUP = 5.0  # reference per HTTP probe / chaos per HTTP probe, at least
# "The reference spends 0.14 ms per activity in-process; the bridge must stay at
# or below that": chaos's per python activity, in seconds, at most. The 0.14 ms
# is the reference's in-process cost of the call, measured by someone else on
# another occasion; this run measures the reference's whole-run cost instead
# (and, for information, its in-process cost on this machine).
TARGET_PYTHON_ACTIVITY = 0.14e-3

BENCHMOD = """\
import sys


def noop(x=1):
    return x


def where():
    # sanity only: which interpreter runs the activities
    return {"prefix": sys.prefix, "executable": sys.executable,
            "version": sys.version.split()[0]}
"""

# The reference's in-process cost of a python activity on this machine, for
# information: run in the reference's venv with PYTHONPATH on benchmod, first
# with no log handlers (chaoslib's logger calls are then level checks only),
# then with the CLI's default handlers (chaoslib.log.configure_logger: INFO to
# the console, here /dev/null as in the timed runs; DEBUG to a log file).
INPROC = """\
import json, os, statistics, sys, time
from chaoslib.activity import execute_activity, run_activity
from chaoslib.log import configure_logger
n, batches, log_file = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
acts = [{"type": "action", "name": f"py{i}",
         "provider": {"type": "python", "module": "benchmod", "func": "noop",
                      "arguments": {"x": i}}} for i in range(n)]
exp = {"title": "in-process", "description": "bench", "method": acts}
out = {}
real_stdout = sys.stdout
def measure(what, call):
    for a in acts[:50]:
        call(a)
    ts = []
    for _ in range(batches):
        t0 = time.perf_counter()
        for a in acts:
            call(a)
        ts.append((time.perf_counter() - t0) / n)
    out[what] = statistics.median(ts)
measure("run_activity", lambda a: run_activity(a, {}, {}))
measure("execute_activity", lambda a: execute_activity(exp, a, {}, {}, None))
sys.stdout = sys.stderr = open(os.devnull, "w")  # the console handler: /dev/null
configure_logger(log_file=log_file)
measure("execute_activity_logged", lambda a: execute_activity(exp, a, {}, {}, None))
print(json.dumps(out), file=real_stdout)
"""


def env_int(name, default):
    v = os.environ.get(name)
    return int(v) if v else default


# --------------------------------------------------------------------------- #
# spawning and timing
# --------------------------------------------------------------------------- #

class Sample:
    __slots__ = ("wall", "cpu", "status")

    def __init__(self, wall, cpu, status):
        self.wall = wall
        self.cpu = cpu
        self.status = status


def _file_actions(stdout_path=os.devnull, stderr_path=os.devnull):
    return [
        (os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDONLY, 0),
        (os.POSIX_SPAWN_OPEN, 1, stdout_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644),
        (os.POSIX_SPAWN_OPEN, 2, stderr_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644),
    ]


def timed_run(argv, cwd, env, stdout_path=os.devnull, stderr_path=os.devnull):
    """Run argv once in cwd; return a Sample from the child's own rusage."""
    old = os.getcwd()
    os.chdir(cwd)  # posix_spawn has no cwd argument; the child inherits ours
    try:
        actions = _file_actions(stdout_path, stderr_path)
        t0 = time.perf_counter()
        pid = os.posix_spawn(argv[0], argv, env, file_actions=actions)
        _, status, ru = os.wait4(pid, 0)
        t1 = time.perf_counter()
    finally:
        os.chdir(old)
    code = os.waitstatus_to_exitcode(status)
    return Sample(t1 - t0, ru.ru_utime + ru.ru_stime, code)


TIME = "/usr/bin/time"


def rss_run(argv, cwd, env, scratch):
    """Peak RSS (KB) of argv, from `/usr/bin/time -f %M` (GNU time forks from a
    ~1 MB process, so the figure is the command's own, floor ~1 MB)."""
    out = os.path.join(scratch, "time.out")
    s = timed_run([TIME, "-f", "%M", "-o", out] + argv, cwd, env)
    with open(out) as f:
        lines = [ln for ln in f.read().splitlines() if ln.strip()]
    if s.status != 0:
        sys.exit(f"bench: {' '.join(argv)} exited {s.status} under {TIME}: {lines}")
    return int(lines[-1])


def _vm_hwm(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return None


def _children(pid):
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            return [int(x) for x in f.read().split()]
    except (OSError, ValueError):
        return []


def tree_rss_run(argv, cwd, env):
    """Sum of the peak RSS (KB) of argv and its direct children, sampled from
    /proc/PID/status VmHWM every ~2 ms (VmHWM only grows, so the last sample
    of a long-lived process is its peak). For `chaos` with its Python worker,
    where GNU time's %M gives only the larger of the two."""
    p = subprocess.Popen(argv, cwd=cwd, env=env, stdin=subprocess.DEVNULL,
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    peak = {}
    while p.poll() is None:
        for pid in [p.pid] + _children(p.pid):
            h = _vm_hwm(pid)
            if h:
                peak[pid] = max(peak.get(pid, 0), h)
        time.sleep(0.002)
    if p.returncode != 0:
        sys.exit(f"bench: {' '.join(argv)} exited {p.returncode} (tree RSS run)")
    return sum(peak.values()), len(peak)


def spawn_loop(program, count, env):
    """Bare spawn cost: posix_spawn + wait4 of `program`, `count` times.

    Returns (wall seconds per spawn, CPU seconds per spawn, self+children)."""
    actions = _file_actions()
    argv = [program]
    r0s = os.times()
    t0 = time.perf_counter()
    for _ in range(count):
        pid = os.posix_spawn(program, argv, env, file_actions=actions)
        os.wait4(pid, 0)
    t1 = time.perf_counter()
    r1s = os.times()
    cpu = (r1s.user - r0s.user) + (r1s.system - r0s.system) + \
          (r1s.children_user - r0s.children_user) + (r1s.children_system - r0s.children_system)
    return (t1 - t0) / count, cpu / count


def http_loop(port, count):
    """Bare HTTP GET cost from Python: a new connection per request, as the
    reference's `requests.get` does. Informational only."""
    t0 = time.perf_counter()
    for _ in range(count):
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        c.request("GET", "/")
        r = c.getresponse()
        r.read()
        c.close()
    return (time.perf_counter() - t0) / count


def median(xs):
    return statistics.median(xs) if xs else float("nan")


# --------------------------------------------------------------------------- #
# experiments
# --------------------------------------------------------------------------- #

def process_experiment(n):
    return {
        "title": f"{n} process actions",
        "description": "bench: per-activity overhead of process providers",
        "method": [
            {"type": "action", "name": f"p{i}",
             "provider": {"type": "process", "path": "/bin/true"}}
            for i in range(n)
        ],
    }


def http_experiment(n, port):
    return {
        "title": f"{n} http probes",
        "description": "bench: per-activity overhead of http providers",
        "method": [
            {"type": "probe", "name": f"h{i}",
             "provider": {"type": "http", "url": f"http://127.0.0.1:{port}/", "timeout": 5}}
            for i in range(n)
        ],
    }


def python_experiment(n):
    return {
        "title": f"{n} python actions",
        "description": "bench: per-activity overhead of python providers",
        "method": [
            {"type": "action", "name": f"py{i}",
             "provider": {"type": "python", "module": "benchmod", "func": "noop",
                          "arguments": {"x": i}}}
            for i in range(n)
        ],
    }


def where_experiment():
    return {
        "title": "which python",
        "description": "bench: sanity, the interpreter that runs python activities",
        "method": [
            {"type": "action", "name": "where",
             "provider": {"type": "python", "module": "benchmod", "func": "where"}},
        ],
    }


def small_experiment():
    return {
        "version": "1.0.0",
        "title": "small experiment for validate",
        "description": "bench: start-up plus loading and validating a small file",
        "tags": ["bench"],
        "configuration": {"greeting": "hello"},
        "steady-state-hypothesis": {
            "title": "all is well",
            "probes": [
                {"type": "probe", "name": "true-succeeds", "tolerance": 0,
                 "provider": {"type": "process", "path": "/bin/true"}},
            ],
        },
        "method": [
            {"type": "action", "name": "say-hello",
             "provider": {"type": "process", "path": "/bin/echo",
                          "arguments": "${greeting}"}},
            {"type": "probe", "name": "fetch",
             "provider": {"type": "http", "url": "http://127.0.0.1:9/", "timeout": 1}},
        ],
        "rollbacks": [
            {"type": "action", "name": "undo",
             "provider": {"type": "process", "path": "/bin/true"}},
        ],
    }


# --------------------------------------------------------------------------- #
# nginx on loopback
# --------------------------------------------------------------------------- #

def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Nginx:
    def __init__(self, binary, workdir):
        self.binary = binary
        self.dir = os.path.join(workdir, "nginx")
        self.proc = None
        self.port = None

    def start(self):
        d = self.dir
        www = os.path.join(d, "www")
        os.makedirs(www)
        for sub in ("tmp", "logs"):
            os.makedirs(os.path.join(d, sub))
        with open(os.path.join(www, "index.html"), "w") as f:
            f.write("ok\n")
        # mkdtemp folders are 0700: nginx workers run as `nobody` and would
        # answer 403 unless every folder up to the document root is searchable.
        p = www
        while True:
            os.chmod(p, os.stat(p).st_mode | 0o755)
            if p == os.path.dirname(d.rstrip("/")) or p == "/":
                break
            p = os.path.dirname(p)
        os.chmod(os.path.join(www, "index.html"), 0o644)
        last_err = None
        for _ in range(5):
            self.port = free_port()
            conf = os.path.join(d, "nginx.conf")
            t = os.path.join(d, "tmp")
            with open(conf, "w") as f:
                f.write(f"""
daemon off;
worker_processes 1;
pid {d}/nginx.pid;
error_log {d}/logs/error.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    client_body_temp_path {t}/body;
    proxy_temp_path {t}/proxy;
    fastcgi_temp_path {t}/fastcgi;
    uwsgi_temp_path {t}/uwsgi;
    scgi_temp_path {t}/scgi;
    default_type text/plain;
    server {{
        listen 127.0.0.1:{self.port};
        root {www};
        location / {{ }}
    }}
}}
""")
            errf = open(os.path.join(d, "logs", "stderr.log"), "w+")
            self.proc = subprocess.Popen(
                [self.binary, "-p", d, "-c", conf, "-e", os.path.join(d, "logs", "error.log")],
                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=errf)
            deadline = time.time() + 10
            while time.time() < deadline:
                if self.proc.poll() is not None:
                    break
                try:
                    c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
                    c.request("GET", "/")
                    r = c.getresponse()
                    body = r.read()
                    c.close()
                    if r.status == 200 and body == b"ok\n":
                        return
                    last_err = f"nginx answered {r.status}"
                    break
                except OSError as e:
                    last_err = str(e)
                    time.sleep(0.05)
            errf.seek(0)
            err = errf.read()
            errf.close()
            self.stop()
            last_err = f"{last_err} {err}".strip()
        raise RuntimeError(f"could not start nginx: {last_err}")

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGQUIT)  # graceful shutdown
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None


# --------------------------------------------------------------------------- #
# machine
# --------------------------------------------------------------------------- #

def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def loadavg():
    try:
        with open("/proc/loadavg") as f:
            return " ".join(f.read().split()[:3])
    except OSError:
        return "n/a"


def cpu_pressure():
    try:
        with open("/proc/pressure/cpu") as f:
            first = f.readline().split()
            return dict(kv.split("=") for kv in first[1:]).get("avg60", "n/a") + "%"
    except OSError:
        return "n/a"


# --------------------------------------------------------------------------- #
# formatting
# --------------------------------------------------------------------------- #

def fmt_t(s):
    if s != s:  # nan
        return "n/a"
    if s >= 1:
        return f"{s:.3f} s"
    if s >= 1e-3:
        return f"{s * 1e3:.2f} ms"
    return f"{s * 1e6:.0f} µs"


def fmt_mb(kb):
    return f"{kb / 1024:.1f} MB"


def fmt_ratio(x):
    if x != x or x in (float("inf"), float("-inf")):
        return "n/a"
    return f"{x:.1f}×" if x >= 10 else f"{x:.2f}×"


def slope(points):
    """Least-squares slope of (n, t) points."""
    xs = [p[0] for p in points]
    ys = [p[1] for p in points]
    mx, my = statistics.fmean(xs), statistics.fmean(ys)
    den = sum((x - mx) ** 2 for x in xs)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / den if den else float("nan")


# --------------------------------------------------------------------------- #
# main
# --------------------------------------------------------------------------- #

def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--chaos", default=os.path.join(ROOT, "target", "release", "chaos"),
                    help="our binary (default: target/release/chaos)")
    ap.add_argument("--ctk", required=True,
                    help="the reference's `chaos` script (in its venv)")
    ap.add_argument("--nginx", default=shutil.which("nginx") or "/usr/sbin/nginx")
    ap.add_argument("--hyperfine", default=shutil.which("hyperfine"))
    ap.add_argument("--out", default=os.path.join(HERE, "results", "latest.md"))
    ap.add_argument("--quick", action="store_true",
                    help="fewer repetitions (about a third of the time)")
    ap.add_argument("--no-http", action="store_true", help="skip the HTTP probes")
    ap.add_argument("--no-python", action="store_true", help="skip the python activities")
    ap.add_argument("--ref-python", default=None,
                    help="the reference venv's interpreter, given to `chaos run --python` "
                         "(default: `python` next to --ctk)")
    ap.add_argument("--keep", action="store_true", help="keep the temporary folder")
    ap.add_argument("--nice", type=int, default=env_int("BENCH_NICE", 0),
                    help="change the bench's niceness by this much (inherited by both tools, "
                         "nginx and the baselines); a negative value (root only) shields the "
                         "measurements a little from other work on a busy machine")
    args = ap.parse_args()
    if args.nice:
        try:
            os.nice(args.nice)
        except PermissionError:
            sys.exit(f"bench: --nice {args.nice} needs root")

    if args.quick:
        d_start, d_small, d_large, d_spawn = 5, 3, 3, 1000
    else:
        d_start, d_small, d_large, d_spawn = 10, 7, 5, 2000
    runs_start = env_int("BENCH_STARTUP_RUNS", d_start)
    runs_small = env_int("BENCH_RUNS", d_small)  # N = 1 and N = 100
    runs_large = env_int("BENCH_LARGE_RUNS", d_large)  # N = 1000
    spawns = env_int("BENCH_SPAWNS", d_spawn)  # per bare-spawn batch
    runs_rss = env_int("BENCH_RSS_RUNS", 2 if args.quick else 3)  # memory runs per command
    sizes = [1, 100, 1000]

    chaos = os.path.abspath(args.chaos)
    ctk = os.path.abspath(args.ctk)
    ref_python = os.path.abspath(args.ref_python or os.path.join(os.path.dirname(ctk), "python"))
    for p in (chaos, ctk) + (() if args.no_python else (ref_python,)):
        if not os.access(p, os.X_OK):
            sys.exit(f"bench: not executable: {p}")
    if not os.access("/bin/true", os.X_OK):
        sys.exit("bench: /bin/true is missing")
    if not os.access(TIME, os.X_OK):
        sys.exit(f"bench: {TIME} is missing (Debian package `time`)")

    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # let the reference use its .pyc files
    tools = {"chaos": chaos, "reference": ctk}

    def version_of(path):
        return subprocess.run([path, "--version"], capture_output=True, text=True,
                              env=env).stdout.strip()

    versions = {k: version_of(v) for k, v in tools.items()}
    started = time.time()
    load_start = loadavg()
    psi_start = cpu_pressure()
    log = lambda msg: print(f"[bench {time.time() - started:6.1f}s] {msg}", file=sys.stderr, flush=True)

    work = tempfile.mkdtemp(prefix="chaos-bench-")
    nginx = None
    try:
        # one working folder per tool: each writes its default ./chaostoolkit.log
        cwd = {}
        for k in tools:
            cwd[k] = os.path.join(work, k)
            os.makedirs(cwd[k])
        expdir = os.path.join(work, "exp")
        os.makedirs(expdir)

        def write(name, doc):
            p = os.path.join(expdir, name)
            with open(p, "w") as f:
                json.dump(doc, f, indent=1)
            return p

        small = write("small.json", small_experiment())
        proc_exps = {n: write(f"process-{n}.json", process_experiment(n)) for n in sizes}

        # python activities: benchmod.py in a folder of its own, on PYTHONPATH
        # for both tools (python runs only; the other runs keep the plain env)
        py_exps = {}
        env_py = env
        if not args.no_python:
            pydir = os.path.join(work, "pymod")
            os.makedirs(pydir)
            with open(os.path.join(pydir, "benchmod.py"), "w") as f:
                f.write(BENCHMOD)
            env_py = dict(env, PYTHONPATH=pydir)
            py_exps = {n: write(f"python-{n}.json", python_experiment(n)) for n in sizes}
            where_exp = write("python-where.json", where_experiment())

        http_exps = {}
        if not args.no_http:
            if not (args.nginx and os.access(args.nginx, os.X_OK)):
                sys.exit("bench: nginx not found (install it, or pass --no-http)")
            nginx = Nginx(args.nginx, work)
            nginx.start()
            log(f"nginx listening on 127.0.0.1:{nginx.port}")
            http_exps = {n: write(f"http-{n}.json", http_experiment(n, nginx.port)) for n in sizes}

        def run_argv(tool, exp, journal, kind=None):
            extra = ["--python", ref_python] if (kind == "python" and tool == "chaos") else []
            return [tools[tool], "--no-version-check", "run"] + extra + ["--journal-path", journal, exp]

        def env_for(kind):
            return env_py if kind == "python" else env

        # ---- sanity: every experiment really runs, with N succeeded activities
        for tool in tools:
            checks = [("process", n, e) for n, e in proc_exps.items() if n <= 100]
            checks += [("http", n, e) for n, e in http_exps.items() if n <= 100]
            checks += [("python", n, e) for n, e in py_exps.items()]  # cheap: all N
            for kind, n, exp in checks:
                journal = os.path.join(cwd[tool], f"check-{kind}-{n}.json")
                s = timed_run(run_argv(tool, exp, journal, kind), cwd[tool], env_for(kind),
                              stderr_path=os.path.join(cwd[tool], "check.err"))
                with open(journal) as f:
                    j = json.load(f)
                ok = [a for a in j.get("run", []) if a.get("status") == "succeeded"]
                if s.status != 0 or j.get("status") != "completed" or len(ok) != n:
                    sys.exit(f"bench: {tool} {kind} N={n} did not run cleanly: exit {s.status}, "
                             f"status {j.get('status')}, {len(ok)}/{n} succeeded "
                             f"(see {cwd[tool]}/check.err; --keep keeps it)")
                if kind == "http":
                    outs = [a.get("output") or {} for a in ok]
                    if any(o.get("status") != 200 for o in outs):
                        sys.exit(f"bench: {tool} http probes did not all get 200 from nginx")
                if kind == "python":
                    if [a.get("output") for a in ok] != list(range(n)):
                        sys.exit(f"bench: {tool} python actions did not all return their argument")
            v = timed_run([tools[tool], "--no-version-check", "validate", small], cwd[tool], env)
            if v.status != 0:
                sys.exit(f"bench: {tool} validate {small} exited {v.status}")
        where = {}  # tool -> what benchmod.where() saw
        if py_exps:
            for tool in tools:
                journal = os.path.join(cwd[tool], "check-where.json")
                s = timed_run(run_argv(tool, where_exp, journal, "python"), cwd[tool], env_py,
                              stderr_path=os.path.join(cwd[tool], "check.err"))
                with open(journal) as f:
                    runs = json.load(f).get("run", [])
                if s.status != 0 or len(runs) != 1 or runs[0].get("status") != "succeeded":
                    sys.exit(f"bench: {tool} could not run benchmod.where (see {cwd[tool]}/check.err)")
                where[tool] = runs[0].get("output") or {}
            a, b = where["chaos"], where["reference"]
            if (a.get("prefix"), a.get("version")) != (b.get("prefix"), b.get("version")):
                sys.exit(f"bench: chaos and the reference do not run the same Python: {a} vs {b}")
        log("sanity checks passed; versions: " + "; ".join(f"{k}: {v}" for k, v in versions.items()))

        # ---- 1. start-up ---------------------------------------------------
        startup = {}  # (tool, what) -> [Sample]
        start_cmds = {
            "--version": lambda t: [tools[t], "--version"],
            "validate": lambda t: [tools[t], "--no-version-check", "validate", small],
        }
        for what, mk in start_cmds.items():  # one warm-up each (page cache)
            for t in tools:
                timed_run(mk(t), cwd[t], env)
        for r in range(runs_start):
            for what, mk in start_cmds.items():
                for t in tools:
                    s = timed_run(mk(t), cwd[t], env)
                    if s.status != 0:
                        sys.exit(f"bench: {t} {what} exited {s.status}")
                    startup.setdefault((t, what), []).append(s)
        log(f"start-up: {runs_start} runs each")

        # ---- 2./3. per-activity ---------------------------------------------
        per = {}  # (tool, kind, n) -> [Sample]
        spawn_batches = []  # (wall per spawn, cpu per spawn)
        http_batches = []
        kinds = [("process", proc_exps)] + ([("http", http_exps)] if http_exps else []) \
            + ([("python", py_exps)] if py_exps else [])
        for t in tools:  # warm-up
            for kind, exps in kinds:
                timed_run(run_argv(t, exps[1], os.path.join(cwd[t], "journal.json"), kind),
                          cwd[t], env_for(kind))
        rounds = max(runs_small, runs_large)
        for r in range(rounds):
            spawn_batches.append(spawn_loop("/bin/true", spawns, env))
            if http_exps:
                http_batches.append(http_loop(nginx.port, 200))
            for kind, exps in kinds:
                for n in sizes:
                    want = runs_large if n >= 1000 else runs_small
                    if r >= want:
                        continue
                    for t in tools:
                        journal = os.path.join(cwd[t], "journal.json")
                        s = timed_run(run_argv(t, exps[n], journal, kind), cwd[t], env_for(kind))
                        if s.status != 0:
                            sys.exit(f"bench: {t} {kind} N={n} exited {s.status}")
                        per.setdefault((t, kind, n), []).append(s)
            log(f"per-activity round {r + 1}/{rounds} done (load {loadavg()})")

        # ---- 4. peak memory, in runs of their own under /usr/bin/time ---------
        rss = {}  # (tool, what) -> [KB]
        mem_cmds = [("--version", lambda t: [tools[t], "--version"], env),
                    ("validate", lambda t: [tools[t], "--no-version-check", "validate", small], env)]
        for kind, exps in kinds:
            mem_cmds.append((f"run, 1000 {kind}",
                             lambda t, e=exps[1000], k=kind: run_argv(
                                 t, e, os.path.join(cwd[t], "journal.json"), k),
                             env_for(kind)))
        for r in range(runs_rss):
            for what, mk, e in mem_cmds:
                for t in tools:
                    rss.setdefault((t, what), []).append(rss_run(mk(t), cwd[t], e, work))
        rss_floor = median([rss_run(["/bin/true"], work, env, work) for _ in range(3)])
        tree_rss = []  # chaos + its Python worker, 1000 python actions: (KB, processes)
        if py_exps:
            for r in range(runs_rss):
                tree_rss.append(tree_rss_run(
                    run_argv("chaos", py_exps[1000], os.path.join(cwd["chaos"], "journal.json"),
                             "python"), cwd["chaos"], env_py))
        log(f"peak memory: {runs_rss} runs each")

        # ---- the reference's in-process cost of a python activity (information)
        inproc = None
        if py_exps:
            inproc_py = os.path.join(work, "inproc.py")
            with open(inproc_py, "w") as f:
                f.write(INPROC)
            r = subprocess.run([ref_python, inproc_py, "1000", "3" if args.quick else "7",
                                os.path.join(work, "inproc.log")],
                               cwd=work, env=env_py, capture_output=True, text=True)
            if r.returncode == 0:
                inproc = json.loads(r.stdout.strip().splitlines()[-1])
            else:
                log(f"in-process cross-check failed: {r.stderr.strip()[-300:]}")

        # ---- cross-check of the bare spawn with hyperfine -N ------------------
        hf = None
        if args.hyperfine:
            hf_json = os.path.join(work, "hyperfine.json")
            rc = subprocess.run([args.hyperfine, "-N", "--warmup", "50", "--runs", str(spawns),
                                 "--export-json", hf_json, "/bin/true"],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode
            if rc == 0:
                with open(hf_json) as f:
                    res = json.load(f)["results"][0]
                hf = (res["median"], res["mean"])
        log("done measuring")
    finally:
        if nginx:
            nginx.stop()
        if args.keep:
            print(f"bench: kept {work}", file=sys.stderr)
        else:
            shutil.rmtree(work, ignore_errors=True)

    # ----------------------------------------------------------------------- #
    # report
    # ----------------------------------------------------------------------- #
    elapsed = time.time() - started
    out = []
    w = out.append
    w("# chaos vs Chaos Toolkit — benchmark results\n")
    w(f"- date: {datetime.datetime.now().astimezone().isoformat(timespec='seconds')}")
    w(f"- machine: {os.cpu_count()} CPUs (`nproc`: {len(os.sched_getaffinity(0))}), "
      f"{cpu_model()}, Linux {platform.release()}")
    w(f"- load average at start: {load_start} (CPU pressure avg60 {psi_start}); "
      f"at end: {loadavg()} (CPU pressure avg60 {cpu_pressure()})")
    w(f"- chaos: `{versions['chaos']}` ({os.path.relpath(chaos, ROOT) if chaos.startswith(ROOT) else chaos}); "
      f"reference: `{versions['reference']}` (chaostoolkit 1.19.0, chaostoolkit-lib 1.44.0, "
      f"Python {subprocess.run([os.path.join(os.path.dirname(ctk), 'python'), '-c', 'import sys;print(sys.version.split()[0])'], capture_output=True, text=True).stdout.strip() or '?'})")
    if where:
        w(f"- python activities: both tools run them in Python {where['reference'].get('version')} "
          f"from `{where['reference'].get('prefix')}` (the reference in-process; `chaos` in one "
          f"worker per run started as `chaos run --python {ref_python}`, which reports "
          f"`sys.executable` {where['chaos'].get('executable')}); `benchmod` on PYTHONPATH for both")
    w(f"- repetitions: start-up {runs_start}, N=1 and N=100 {runs_small}, N=1000 {runs_large}; "
      f"bare-spawn batches of {spawns}{' (--quick)' if args.quick else ''}; "
      f"niceness {os.nice(0)}; total bench time {elapsed:.0f} s")
    w("- all figures are medians; wall = elapsed time, CPU = user+sys of the process and its children "
      "(wait4 rusage), RSS = peak resident set size from `/usr/bin/time -f %M` in separate runs "
      f"({runs_rss} each; its floor, `/bin/true`, is {fmt_mb(rss_floor)})")
    w("")

    # start-up
    w("## Start-up\n")
    w("| command | chaos wall | reference wall | speed-up | chaos CPU | reference CPU | chaos max RSS | reference max RSS | RSS ratio |")
    w("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    su = {}
    for what in start_cmds:
        a, b = startup[("chaos", what)], startup[("reference", what)]
        aw, bw = median([s.wall for s in a]), median([s.wall for s in b])
        ac, bc = median([s.cpu for s in a]), median([s.cpu for s in b])
        am, bm = median(rss[("chaos", what)]), median(rss[("reference", what)])
        su[what] = (aw, bw, am, bm)
        w(f"| `{what}` | {fmt_t(aw)} | {fmt_t(bw)} | {fmt_ratio(bw / aw)} | {fmt_t(ac)} | {fmt_t(bc)} "
          f"| {fmt_mb(am)} | {fmt_mb(bm)} | {am / bm:.2f} |")
    w("")

    # per activity
    costs = {}
    for kind, label in (("process", "process actions (`/bin/true`)"), ("http", "HTTP probes (nginx, loopback)"),
                        ("python", "python actions (`benchmod.noop(x)`)")):
        if not any(k[1] == kind for k in per):
            continue
        w(f"## {label}: whole runs\n")
        w("| N | chaos wall | reference wall | speed-up | chaos CPU | reference CPU |")
        w("|---:|---:|---:|---:|---:|---:|")
        for n in sizes:
            a, b = per[("chaos", kind, n)], per[("reference", kind, n)]
            aw, bw = median([s.wall for s in a]), median([s.wall for s in b])
            w(f"| {n} | {fmt_t(aw)} | {fmt_t(bw)} | {fmt_ratio(bw / aw)} | {fmt_t(median([s.cpu for s in a]))} "
              f"| {fmt_t(median([s.cpu for s in b]))} |")
        w("")
        for t in tools:
            med = {n: median([s.wall for s in per[(t, kind, n)]]) for n in sizes}
            medc = {n: median([s.cpu for s in per[(t, kind, n)]]) for n in sizes}
            endpoint = (med[1000] - med[1]) / 999
            endpoint_cpu = (medc[1000] - medc[1]) / 999
            reg = slope([(n, s.wall) for n in sizes for s in per[(t, kind, n)]])
            costs[(t, kind)] = (endpoint, reg, endpoint_cpu)

    w("## Per-activity cost\n")
    w("Per-activity cost = (median(N=1000) − median(N=1)) / 999; the least-squares slope over "
      "every run of N = 1, 100, 1000 is given as a cross-check.\n")
    sp_wall = median([b[0] for b in spawn_batches])
    sp_cpu = median([b[1] for b in spawn_batches])
    w("| activity | chaos | reference | reference / chaos | chaos (slope) | reference (slope) | chaos CPU | reference CPU |")
    w("|---|---:|---:|---:|---:|---:|---:|---:|")
    for kind in ("process", "http", "python"):
        if ("chaos", kind) not in costs:
            continue
        a, b = costs[("chaos", kind)], costs[("reference", kind)]
        w(f"| {kind} | {fmt_t(a[0])} | {fmt_t(b[0])} | {fmt_ratio(b[0] / a[0])} | {fmt_t(a[1])} | {fmt_t(b[1])} "
          f"| {fmt_t(a[2])} | {fmt_t(b[2])} |")
    w("")
    w("Baselines (same machine, same moment, interleaved with the runs above):\n")
    w("| baseline | per call | CPU per call |")
    w("|---|---:|---:|")
    w(f"| bare spawn of `/bin/true` (Python `os.posix_spawn` + `wait4` loop, median of "
      f"{len(spawn_batches)} batches of {spawns}) | {fmt_t(sp_wall)} | {fmt_t(sp_cpu)} |")
    if hf:
        w(f"| bare spawn of `/bin/true`, `hyperfine -N --runs {spawns}` (median; mean {fmt_t(hf[1])}) "
          f"| {fmt_t(hf[0])} | |")
    if http_batches:
        w(f"| bare HTTP GET from Python `http.client`, new connection each (median of "
          f"{len(http_batches)} batches of 200) | {fmt_t(median(http_batches))} | |")
    if inproc:
        w(f"| the reference's python activity **in-process** (its venv, no log handlers): "
          f"`chaoslib.activity.run_activity` (provider call only) | {fmt_t(inproc['run_activity'])} | |")
        w(f"| the same, `chaoslib.activity.execute_activity` (adds the run record, controls, "
          f"log calls) | {fmt_t(inproc['execute_activity'])} | |")
        w(f"| the same, `execute_activity` with the CLI's default log handlers (INFO to the "
          f"console, here /dev/null; DEBUG to a file) | {fmt_t(inproc['execute_activity_logged'])} | |")
    w("")

    # memory
    w("## Peak memory (max RSS)\n")
    if py_exps:
        w("For `run, 1000 python`, `chaos`'s `/usr/bin/time` figure is the larger of `chaos` and "
          "its Python worker (GNU time reports the peak of the largest process in the tree, not the "
          "sum); the reference is one process. The last row adds the two.\n")
    w("| command | chaos | reference | chaos / reference |")
    w("|---|---:|---:|---:|")
    for what, _, _ in mem_cmds:
        am, bm = median(rss[("chaos", what)]), median(rss[("reference", what)])
        w(f"| `{what}` | {fmt_mb(am)} | {fmt_mb(bm)} | {am / bm:.2f} |")
    if tree_rss:
        am, bm = median([t[0] for t in tree_rss]), median(rss[("reference", "run, 1000 python")])
        w(f"| `run, 1000 python`, chaos + its worker (sum of each process's peak, sampled "
          f"from /proc VmHWM; {max(t[1] for t in tree_rss)} processes) | {fmt_mb(am)} | "
          f"{fmt_mb(bm)} | {am / bm:.2f} |")
    w("")

    # targets
    w("## Targets\n")
    w("| target | measured | result |")
    w("|---|---|---|")
    targets = []
    for what in start_cmds:
        aw, bw, am, bm = su[what]
        sp = bw / aw
        targets.append((f"start-up `{what}` ≥ {TARGET_STARTUP_SPEEDUP:.0f}× faster than the reference",
                        f"{fmt_ratio(sp)} ({fmt_t(aw)} vs {fmt_t(bw)})", sp >= TARGET_STARTUP_SPEEDUP))
        targets.append((f"start-up `{what}` memory ≤ {TARGET_STARTUP_MEMORY:g} of the reference's",
                        f"{am / bm:.2f} ({fmt_mb(am)} vs {fmt_mb(bm)})", am / bm <= TARGET_STARTUP_MEMORY))
    if ("chaos", "process") in costs:
        c = costs[("chaos", "process")][0]
        r = c / sp_wall
        targets.append((f"process activity ≤ {TARGET_PROCESS_VS_SPAWN}× a bare spawn",
                        f"{r:.2f}× ({fmt_t(c)} vs {fmt_t(sp_wall)} bare spawn; reference "
                        f"{costs[('reference', 'process')][0] / sp_wall:.2f}×)",
                        r <= TARGET_PROCESS_VS_SPAWN))
    if ("chaos", "http") in costs:
        a, b = costs[("chaos", "http")][0], costs[("reference", "http")][0]
        r = b / a
        targets.append((f"HTTP probe ≥ {TARGET_HTTP_SPEEDUP:.0f}× cheaper than the reference's",
                        f"{fmt_ratio(r)} ({fmt_t(a)} vs {fmt_t(b)})", r >= TARGET_HTTP_SPEEDUP))
    if ("chaos", "python") in costs:
        a, b = costs[("chaos", "python")][0], costs[("reference", "python")][0]
        targets.append((f"python activity ≤ {TARGET_PYTHON_ACTIVITY * 1e3:g} ms (the reference's "
                        f"in-process cost, measured elsewhere)",
                        f"{fmt_t(a)} ({a / TARGET_PYTHON_ACTIVITY:.2f}× the target; the reference's "
                        f"whole-run cost in this run {fmt_t(b)}"
                        + (f"; in-process on this machine {fmt_t(inproc['execute_activity'])}, "
                           f"{fmt_t(inproc['execute_activity_logged'])} with its log handlers"
                           if inproc else "") + ")",
                        a <= TARGET_PYTHON_ACTIVITY))
    for name, measured, ok in targets:
        w(f"| {name} | {measured} | **{'PASS' if ok else 'FAIL'}** |")
    w("")
    w(f"Targets passed: {sum(1 for t in targets if t[2])}/{len(targets)}.")

    text = "\n".join(out) + "\n"
    print(text)
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with open(args.out, "w") as f:
        f.write(text)
    print(f"bench: wrote {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
