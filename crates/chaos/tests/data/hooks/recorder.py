"""A control that writes down every hook call: which hook, its context's
name or title, the type of its state, whether it got the settings. With
INTERRUPT_AT=<activity name>, its before-activity hook interrupts there."""
import json
import os

try:
    from chaoslib.exceptions import InterruptExecution
except ImportError:  # chaos's bridge recognises the exception by its name
    class InterruptExecution(Exception):
        pass

LOG = os.environ.get("HOOK_LOG", "hooks.jsonl")


def _w(name, context=None, state=None, settings="<absent>"):
    ctx = None
    if isinstance(context, dict):
        ctx = context.get("name") or context.get("title")
    if settings is None:
        got = None
    else:
        got = "absent" if settings == "<absent>" else "set"
    line = {"hook": name, "ctx": ctx,
            "state": None if state is None else type(state).__name__,
            "settings": got}
    with open(LOG, "a") as f:
        f.write(json.dumps(line) + "\n")


def configure_control(settings=None, **kw):
    _w("configure_control", settings=settings)


def before_experiment_control(context, settings=None, **kw):
    _w("before_experiment_control", context, settings=settings)


def after_experiment_control(context, state, settings=None, **kw):
    _w("after_experiment_control", context, state, settings)


def before_hypothesis_control(context, settings=None, **kw):
    _w("before_hypothesis_control", context, settings=settings)


def after_hypothesis_control(context, state, settings=None, **kw):
    _w("after_hypothesis_control", context, state, settings)


def before_method_control(context, settings=None, **kw):
    _w("before_method_control", context, settings=settings)


def after_method_control(context, state, settings=None, **kw):
    _w("after_method_control", context, state, settings)


def before_rollback_control(context, settings=None, **kw):
    _w("before_rollback_control", context, settings=settings)


def after_rollback_control(context, state, settings=None, **kw):
    _w("after_rollback_control", context, state, settings)


def before_activity_control(context, settings=None, **kw):
    _w("before_activity_control", context, settings=settings)
    if context.get("name") == os.environ.get("INTERRUPT_AT"):
        raise InterruptExecution("stop at " + context["name"])


def after_activity_control(context, state, settings=None, **kw):
    _w("after_activity_control", context, state, settings)


def cleanup_control():
    _w("cleanup_control")
