"""The Python side of chaos's bridge: one long-lived worker per run.

It imports modules and calls functions for the engine. Requests and answers
are JSON objects framed by a 4-byte big-endian length, on the worker's
original stdin and stdout; the user's code gets /dev/null as stdin and the
engine's stderr as stdout, so nothing it prints can break the protocol.
This script ships inside the chaos binary.
"""
import datetime
import decimal
import importlib
import inspect
import json
import logging
import math
import os
import select
import struct
import sys
import threading
import time
import traceback
import types
import uuid
from concurrent.futures import ThreadPoolExecutor


def _install_logzero():
    # Extensions import logzero's logger; the reference registers a stand-in
    # that logs through its own logger, so plain `import logzero` must work.
    if "logzero" in sys.modules:
        return
    try:
        import logzero  # noqa: F401
        return
    except ImportError:
        pass
    mod = types.ModuleType("logzero")
    mod.logger = logging.getLogger("chaostoolkit")
    mod.setup_logger = lambda *a, **k: mod.logger
    mod.loglevel = lambda *a, **k: None
    mod.logfile = lambda *a, **k: None
    sys.modules["logzero"] = mod


def _jsonable(value, depth=0):
    """The reference's journal encoder (dates, Decimal, UUID), and for what
    it would crash on: lists for tuples and sets, text for anything else."""
    if depth > 200:
        return repr(value)
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else repr(value)
    if isinstance(value, dict):
        return {str(k) if not isinstance(k, str) else k: _jsonable(v, depth + 1) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [_jsonable(v, depth + 1) for v in value]
    if isinstance(value, (datetime.datetime, datetime.date, datetime.time)):
        return value.isoformat()
    if isinstance(value, (decimal.Decimal, uuid.UUID)):
        return str(value)
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return str(value)


class Worker:
    def __init__(self):
        self.proto_in = os.dup(0)
        os.set_blocking(self.proto_in, False)
        self.pending = bytearray()
        self.proto_out = os.fdopen(os.dup(1), "wb", buffering=0)
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)
        os.close(null)
        os.dup2(2, 1)
        self.lock = threading.Lock()
        self.pool = ThreadPoolExecutor(max_workers=64, thread_name_prefix="chaos-call")

    def send(self, answer):
        data = json.dumps(answer, allow_nan=False).encode("utf-8")
        with self.lock:
            self.proto_out.write(struct.pack(">I", len(data)) + data)

    def read_exact(self, n):
        while len(self.pending) < n:
            if not self.fill():
                return None
        data = bytes(self.pending[:n])
        del self.pending[:n]
        return data

    # The next request usually follows within tens of microseconds; polling
    # for that long before sleeping in select() saves a wake-up per call.
    # On a busy machine polling steals CPU from the engine: a poll that
    # finds nothing turns polling off for the next requests.
    SPIN = 100e-6
    SPIN_BACKOFF = 32
    spin_skip = 0

    def fill(self):
        """Reads what the engine sent; False at the end of input."""
        polling = self.spin_skip == 0
        if not polling:
            self.spin_skip -= 1
        deadline = time.perf_counter() + self.SPIN
        while True:
            try:
                chunk = os.read(self.proto_in, 65536)
            except BlockingIOError:
                if not polling or time.perf_counter() > deadline:
                    if polling:
                        self.spin_skip = self.SPIN_BACKOFF
                        polling = False
                    select.select([self.proto_in], [], [])
                continue
            if not chunk:
                return False
            self.pending += chunk
            return True

    def serve(self):
        while True:
            try:
                self.serve_one()
            except KeyboardInterrupt:
                # An interrupt meant for a call that had just ended.
                continue
            except EOFError:
                return

    def serve_one(self):
        header = self.read_exact(4)
        if header is None:
            raise EOFError
        (size,) = struct.unpack(">I", header)
        body = self.read_exact(size)
        if body is None:
            raise EOFError
        request = json.loads(body)
        op = request.get("op")
        if op == "call":
            if request.get("inline"):
                self.answer(request, call)
            else:
                self.pool.submit(self.answer, request, call)
        elif op == "validate":
            self.answer(request, validate)
        elif op == "validate_many":
            self.answer(request, validate_many)
        elif op == "control":
            self.answer(request, control)
        elif op == "validate_control":
            self.answer(request, validate_control)
        elif op == "hello":
            self.send({"id": request["id"], "ok": {"python": sys.version.split()[0], "executable": sys.executable}})
        elif op == "exit":
            raise EOFError
        else:
            self.send({"id": request.get("id"), "error": f"unknown operation {op!r}"})

    def answer(self, request, handler):
        try:
            answer = handler(request)
        except BaseException as x:  # never let a request kill the worker
            answer = {"error": "".join(traceback.format_exception_only(type(x), x)).strip()}
        answer["id"] = request["id"]
        try:
            self.send(answer)
        except (TypeError, ValueError):
            for key in ("ok", "values"):
                if key in answer:
                    answer[key] = _jsonable(answer[key])
            try:
                self.send(answer)
            except (TypeError, ValueError) as x:
                self.send({"id": request["id"], "error": f"the result cannot be written as JSON: {x}"})


def _load(module, func):
    mod = importlib.import_module(module)
    return getattr(mod, func)


_FUNCTIONS = {}


def _function(module, name):
    """The function and the names of its parameters, looked up once:
    inspect.signature costs more than a trivial call."""
    key = (module, name)
    found = _FUNCTIONS.get(key)
    if found is None:
        func = _load(module, name)
        try:
            params = frozenset(inspect.signature(func).parameters)
        except (TypeError, ValueError):
            params = frozenset()
        found = _FUNCTIONS[key] = (func, params)
    return found


def call(request):
    """run_python_activity (chaoslib/provider/python.py), answer by answer."""
    try:
        func, params = _function(request["module"], request["func"])
    except Exception as x:
        return {"error": "".join(traceback.format_exception_only(type(x), x)).strip()}
    for key, value in (request.get("environment") or {}).items():
        _ENVIRON_SETITEM(os.environ, key, value)
    arguments = dict(request.get("arguments") or {})
    if "secrets" in request and "secrets" in params:
        arguments["secrets"] = request["secrets"]
    if "configuration" in params:
        arguments["configuration"] = dict(request.get("configuration") or {})
    try:
        result = func(**arguments)
    except Exception as x:
        message = traceback.format_exception_only(type(x), x)[0].strip()
        tb = x.__traceback__.tb_next if x.__traceback__ is not None else None
        lines = traceback.format_exception(type(x), x, tb)
        return _exported({"failed": message, "traceback": [line.rstrip("\n") for line in lines]})
    # Written as it is when JSON can hold it; made JSON-safe only if not.
    return _exported({"ok": result})


# `os.environ` writes made by the user's code (chaostoolkit-toxiproxy's
# `create_proxy` sets `<name>_PORT`), sent with the call's answer: the
# reference runs everything in one process, so the programs and functions
# after it see them, and the engine hands them on (crates/drivers
# environment.rs). Those it hands to us are set without being sent back.
_ENVIRON_SETITEM = type(os.environ).__setitem__
_ENVIRONMENT_WRITTEN = {}


def _watch_environ():
    def recording(self, key, value):
        _ENVIRON_SETITEM(self, key, value)
        if self is os.environ:
            _ENVIRONMENT_WRITTEN[key] = value

    type(os.environ).__setitem__ = recording


def _exported(answer):
    if _ENVIRONMENT_WRITTEN:
        written = dict(_ENVIRONMENT_WRITTEN)
        _ENVIRONMENT_WRITTEN.clear()
        answer["environment"] = {k: v for k, v in written.items() if isinstance(k, str) and isinstance(v, str)}
    return answer


_INJECTED = ("context", "state", "experiment", "configuration", "secrets", "settings", "extensions")


def control(request):
    """One control hook (chaoslib/control/python.py): arguments by name, the
    injected values only when the hook declares them; what it changes in
    place is sent back."""
    try:
        mod = importlib.import_module(request["module"])
    except Exception as x:
        return {"error": "".join(traceback.format_exception_only(type(x), x)).strip()}
    func = getattr(mod, request["hook"], None)
    if func is None:
        return {"absent": True}
    values = request.get("values") or {}
    kwargs = dict(request.get("arguments") or {})
    try:
        params = inspect.signature(func).parameters
    except (TypeError, ValueError):
        params = {}
    if "context" in values:
        kwargs["context"] = values["context"]
    for name in _INJECTED[1:]:
        if name in params and name in values:
            kwargs[name] = values[name]
    try:
        func(**kwargs)
    except SystemExit as x:
        return {"exit": x.code if isinstance(x.code, int) else 1, "values": _jsonable(values)}
    except Exception as x:
        if any(k.__name__ == "InterruptExecution" for k in type(x).__mro__):
            return {"interrupt": str(x), "values": _jsonable(values)}
        return {"error": "".join(traceback.format_exception_only(type(x), x)).strip()}
    return {"values": _jsonable(values)}


def validate_control(request):
    """validate_controls for one python control: an import failure is only a
    warning; the module's own validate_control(control) decides."""
    declaration = request["control"]
    name = request["name"]
    module = (declaration.get("provider") or {}).get("module")
    try:
        mod = importlib.import_module(module)
    except Exception as x:
        return {
            "warning": f"Could not find Python module '{module}' in control '{name}'. Did you install the Python module? "
            "The experiment will carry on running nonetheless.",
            "hint": "".join(traceback.format_exception_only(type(x), x)).strip(),
        }
    check = getattr(mod, "validate_control", None)
    if check is None:
        return {"ok": True}
    try:
        check(declaration)
    except Exception as x:
        return {"invalid": traceback.format_exception_only(type(x), x)[0].strip().split(": ", 1)[-1]}
    return {"ok": True}


# Chaos Toolkit extensions whose distribution is not named after the module.
_DISTRIBUTIONS = {
    "chaosk8s": "chaostoolkit-kubernetes",
    "chaosaddons": "chaostoolkit-addons",
    "chaosprometheus": "chaostoolkit-prometheus",
    "chaostoxi": "chaostoolkit-toxiproxy",
    "chaosaws": "chaostoolkit-aws",
    "chaosazure": "chaostoolkit-azure",
    "chaosgcp": "chaostoolkit-google-cloud-platform",
    "chaosotel": "chaostoolkit-opentelemetry",
    "chaosreliably": "chaostoolkit-reliably",
    "chaoswm": "chaostoolkit-wiremock",
    "chaosistio": "chaostoolkit-istio",
    "chaosspring": "chaostoolkit-spring",
}


def _pip_name(module):
    top = module.split(".")[0]
    return _DISTRIBUTIONS.get(top, top.replace("_", "-"))


_MEMBERS = {}
_SIGNATURES = {}


def _members(name, mod):
    """The functions a module exposes, as the reference looks them up;
    getmembers sorts every attribute, so once per module."""
    found = _MEMBERS.get(name)
    if found is None or _MEMBERS_OF.get(name) is not mod:
        found = dict(inspect.getmembers(mod, inspect.isfunction))
        found.update(inspect.getmembers(mod, inspect.isbuiltin))
        _MEMBERS[name] = found
        _MEMBERS_OF[name] = mod
    return found


_MEMBERS_OF = {}


def _signature(func):
    try:
        return _SIGNATURES[func]
    except KeyError:
        pass
    except TypeError:  # unhashable callable
        return _signature_of(func)
    sig = _SIGNATURES[func] = _signature_of(func)
    return sig


def _signature_of(func):
    try:
        return inspect.signature(func)
    except (TypeError, ValueError):
        return None


def validate_many(request):
    """validate() for every python activity of an experiment, in order."""
    answers = []
    passed = set()  # (module, func, argument names) already found valid
    for item in request["items"]:
        arguments = item.get("arguments") or {}
        key = (item["module"], item["func"], frozenset(arguments) if isinstance(arguments, dict) else None)
        if key in passed:
            # Binding depends on the argument names only: experiments repeat
            # the same call shape many times.
            answers.append({"ok": True})
            continue
        try:
            answer = validate(item)
            answers.append(answer)
            if answer.get("ok") is True and key[2] is not None:
                passed.add(key)
        except Exception as x:  # one odd module must not hide the others
            answers.append({"error": "".join(traceback.format_exception_only(type(x), x)).strip()})
    return {"ok": answers}


def validate(request):
    """validate_python_activity, with the real import error shown."""
    module, func, name = request["module"], request["func"], request["name"]
    try:
        mod = importlib.import_module(module)
    except ModuleNotFoundError as x:
        missing = x.name or module
        if module == missing or module.startswith(missing + "."):
            return {
                "invalid": f"could not find Python module '{module}' in activity '{name}'",
                "hint": f"install the package that provides '{missing}' into {sys.executable} "
                f"(for example: {sys.executable} -m pip install {_pip_name(missing)}), "
                "or run chaos with --python / CHAOS_PYTHON pointing at the interpreter that has it",
            }
        return {
            "invalid": f"could not import Python module '{module}' in activity '{name}': {x}",
            "hint": f"'{module}' needs '{missing}', which {sys.executable} cannot import: install it there",
        }
    except Exception as x:
        return {
            "invalid": f"could not import Python module '{module}' in activity '{name}': "
            + "".join(traceback.format_exception_only(type(x), x)).strip(),
            "hint": "the module raised while being imported: fix the error above",
        }
    candidates = _members(module, mod)
    cb = candidates.get(func)
    if cb is None:
        exposed = sorted(n for n in candidates if not n.startswith("_"))[:12]
        return {
            "invalid": f"The python module '{module}' does not expose a function called '{func}' in {request['type']} '{name}'",
            "hint": "functions it exposes include: " + ", ".join(exposed) if exposed else "it exposes no function",
        }
    sig = _signature(cb)
    if sig is None:
        return {"ok": True}
    args = dict(request.get("arguments") or {})
    if "secrets" in sig.parameters:
        args["secrets"] = None
    if "configuration" in sig.parameters:
        args["configuration"] = None
    try:
        sig.bind(**args)
    except TypeError as x:
        msg = str(x)
        params = ", ".join(p for p in sig.parameters if p not in ("secrets", "configuration"))
        if "missing" in msg:
            arg = msg.rsplit(":", 1)[1].strip()
            return {"invalid": f"required argument {arg} is missing from activity '{func}'", "hint": f"'{func}' takes: {params}"}
        if "unexpected" in msg:
            arg = msg.rsplit(" ", 1)[1].strip()
            return {"invalid": f"argument {arg} is not part of the function signature in activity '{func}'", "hint": f"'{func}' takes: {params}"}
        return {"invalid": msg}
    return {"ok": True}


def _forward_exit_signals():
    # chaoslib.exit.exit_gracefully()/exit_ungracefully() signal their own
    # process (SIGUSR1/SIGUSR2), which under chaos is this worker: pass them
    # on to chaos, whose run they are meant to stop (the addons' safeguards).
    import signal

    # The interpreter may run under a wrapper (pyenv's shims do), so chaos
    # says who it is rather than trusting the parent process id.
    parent = int(os.environ.get("CHAOS_PID") or os.getppid())

    def forward(signum, _frame):
        try:
            os.kill(parent, signum)
        except OSError:
            pass

    for sig in (signal.SIGUSR1, signal.SIGUSR2):
        signal.signal(sig, forward)


if __name__ == "__main__":
    if sys.path and sys.path[0] in ("", os.getcwd()):
        # Like the reference, whose sys.path starts with its own scripts'
        # folder: the current folder is importable through PYTHONPATH only.
        del sys.path[0]
    _install_logzero()
    _watch_environ()
    _forward_exit_signals()
    worker = Worker()
    # Who to interrupt: this process, whatever wrapper started it.
    worker.send({"id": 0, "pid": os.getpid()})
    worker.serve()
