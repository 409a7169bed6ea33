"""The Python side of `chaos discover`: one run, one package.

chaostoolkit-lib's `discover(package, discover_system, download_and_install)`
(chaoslib/discovery/discover.py and package.py), step by step, in the
interpreter chaos chose:

1. unless told not to, `python -m pip install -U PACKAGE` in this interpreter's
   environment;
2. find the distribution and its top-level import name;
3. import it and call its `discover(discover_system=...)`.

Usage: python -c <this script> PACKAGE SYSTEM(0|1) INSTALL(0|1)

Everything said back goes to the original stdout, one JSON object a line:
`{"log": LEVEL, "message": ...}` for the `chaostoolkit` logger's records, then
one of `{"ok": discovery}`, `{"failed": message}` (DiscoveryFailed: the
reference logs it and exits 0) or `{"error": message, "traceback": ...}`
(anything else: the reference crashes). Whatever the extension or pip print
goes to stderr, so it cannot break the protocol. This script ships inside the
chaos binary.
"""
import datetime
import decimal
import importlib
import inspect
import json
import logging
import os
import re
import subprocess
import sys
import traceback
import types
import uuid

OUT = os.fdopen(os.dup(1), "w", encoding="utf-8")
os.dup2(2, 1)
sys.stdout = sys.stderr

logger = logging.getLogger("chaostoolkit")


def send(message):
    # ensure_ascii keeps the line plain ASCII whatever the locale.
    OUT.write(json.dumps(message, default=encoder, allow_nan=False) + "\n")
    OUT.flush()


class Forward(logging.Handler):
    """The `chaostoolkit` logger's records, for chaos to show and log."""

    def emit(self, record):
        try:
            message = record.getMessage()
            if record.exc_info and record.exc_info[1] is not None:
                message += "\n" + "".join(traceback.format_exception(*record.exc_info)).rstrip()
            level = record.levelname.lower()
            if record.levelno >= logging.CRITICAL:
                level = "critical"
            send({"log": level, "message": message})
        except Exception:  # a bad record must not stop the discovery
            pass


def encoder(o):
    """chaostoolkit's JSON encoder for the discovery (dates, Decimal, UUID)."""
    if isinstance(o, (datetime.date, datetime.datetime)):
        return o.isoformat()
    elif isinstance(o, decimal.Decimal):
        return str(o)
    elif isinstance(o, uuid.UUID):
        return str(o)
    raise TypeError(f"Object of type '{type(o)}' is not JSON serializable")


class DiscoveryFailed(Exception):
    pass


def is_discovery_failed(x):
    # chaoslib's own DiscoveryFailed (raised by its helpers inside the
    # extension) or ours.
    return any(c.__name__ == "DiscoveryFailed" for c in type(x).__mro__)


def override_logzero():
    """chaoslib.log.override_logzero_module: extensions log through logzero,
    which the reference replaces by its own logger."""
    m = types.ModuleType("logzero")
    m.__path__ = []
    m.logger = logger
    m.setup_logger = lambda *a, **k: logger
    m.loglevel = lambda *a, **k: None
    m.logfile = lambda *a, **k: None
    sys.modules[m.__name__] = m


def needs_chaoslib(x):
    """Whether `x` is an import error for chaostoolkit-lib itself."""
    while x is not None:
        if isinstance(x, ImportError):
            name = getattr(x, "name", None) or ""
            if name == "chaoslib" or name.startswith("chaoslib."):
                return True
        x = x.__cause__ or x.__context__
    return False


def python():
    # Not resolved further: a virtualenv's python is a link to the base one.
    return os.path.abspath(sys.executable)


def chaoslib_missing(what):
    return DiscoveryFailed(
        f"{what}: the extension needs chaostoolkit-lib, which is not installed "
        f"for {python()}; install it with "
        f"`{python()} -m pip install chaostoolkit-lib`"
    )


def install(package_name):
    """chaoslib.discovery.package.install, with this interpreter's pip."""
    logger.info(f"Attempting to download and install package '{package_name}'")
    process = subprocess.run(
        [sys.executable, "-m", "pip", "install", "-U", package_name],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        check=False,
    )
    stdout = process.stdout.decode("utf-8", "replace")
    stderr = process.stderr.decode("utf-8", "replace")
    logger.debug(stdout)
    if process.returncode != 0:
        msg = f"failed to install `{package_name}`"
        logger.debug(msg + f"\n=================\n{stdout}\n=================\n{stderr}\n")
        # Not in the reference, which only tells why with --verbose.
        last = [line for line in stderr.splitlines() if line.strip()][-1:]
        if last:
            logger.warning(f"pip says: {last[0].strip()}")
        raise DiscoveryFailed(msg)
    logger.info("Package downloaded and installed in current environment")
    importlib.invalidate_caches()


def metadata():
    try:
        import importlib.metadata as md
    except ImportError:
        md = None
    if md is None or not hasattr(md, "packages_distributions"):
        # Before Python 3.10: the backport chaostoolkit-lib depends on.
        try:
            import importlib_metadata as md
        except ImportError:
            pass
    if md is None:
        raise DiscoveryFailed(
            "cannot look up installed packages: Python 3.8 or later is "
            f"needed (or `{python()} -m pip install importlib-metadata`)"
        )
    return md


def packages_distributions(md):
    if hasattr(md, "packages_distributions"):
        return md.packages_distributions()
    # Python 3.8 and 3.9 without the backport: the same reading of each
    # distribution's top_level.txt, else of its files.
    found = {}
    for dist in md.distributions():
        names = (dist.read_text("top_level.txt") or "").split()
        if not names:
            names = {
                f.parts[0] if len(f.parts) > 1 else f.with_suffix("").name
                for f in dist.files or ()
                if f.suffix == ".py" or len(f.parts) > 1 and not f.parts[0].endswith(".dist-info")
            }
        for name in names:
            found.setdefault(name, []).append(dist.metadata["Name"])
    return found


def normalized(name):
    return re.sub(r"[-_.]+", "-", name).lower()


def get_importname_from_package(package_name):
    """chaoslib.discovery.package.get_importname_from_package."""
    md = metadata()
    try:
        md.distribution(package_name)
    except md.PackageNotFoundError:
        raise DiscoveryFailed(f"Package {package_name} not found")
    # The reference compares the names as typed; a distribution found under
    # another spelling (`chaostoolkit_addons`, `PyYAML` for `pyyaml`) is
    # matched here too.
    wanted = normalized(package_name)
    packages = packages_distributions(md)
    for name in packages:
        if any(normalized(d or "") == wanted for d in packages[name]):
            return name
    raise DiscoveryFailed(
        f"Distribution {package_name} exists but no top-level package name "
        "could be determined"
    )


def load_package(package_name):
    """chaoslib.discovery.package.load_package."""
    name = get_importname_from_package(package_name)
    try:
        return importlib.import_module(name)
    except ImportError as x:
        logger.debug(f"Failed to import '{name}'", exc_info=x)
        if needs_chaoslib(x):
            raise chaoslib_missing(f"could not load Python module '{name}'")
        raise DiscoveryFailed(f"could not load Python module '{name}'")


def get_discover_function(package):
    """chaoslib.discovery.package.get_discover_function."""
    for name, value in inspect.getmembers(package, inspect.isfunction):
        if name == "discover":
            return value
    raise DiscoveryFailed(
        f"package '{package.__name__}' does not export a `discover` function"
    )


def discover(package_name, discover_system, download_and_install):
    if download_and_install:
        install(package_name)
    package = load_package(package_name)
    discover_func = get_discover_function(package)
    try:
        return discover_func(discover_system=discover_system)
    except ImportError as x:
        if needs_chaoslib(x):
            raise chaoslib_missing(f"could not discover `{package_name}`") from x
        raise


def main():
    package_name, system, install_flag = sys.argv[1], sys.argv[2] == "1", sys.argv[3] == "1"
    if sys.path and sys.path[0] in ("", os.getcwd()):
        # Like the reference, whose sys.path starts with its own scripts'
        # folder: the current folder is importable through PYTHONPATH only.
        del sys.path[0]
    logger.propagate = False
    logger.setLevel(logging.DEBUG)
    logger.addHandler(Forward())
    override_logzero()
    try:
        discovery = discover(package_name, system, install_flag)
    except Exception as x:
        if is_discovery_failed(x):
            logger.debug(f"Failed to discover {package_name}", exc_info=x)
            send({"failed": str(x)})
            return
        send({
            "error": "".join(traceback.format_exception_only(type(x), x)).strip(),
            "traceback": "".join(traceback.format_exception(type(x), x, x.__traceback__)).rstrip(),
        })
        return
    try:
        send({"ok": discovery})
    except (TypeError, ValueError) as x:
        send({"error": f"the discovery cannot be written as JSON: {x}", "traceback": ""})


main()
