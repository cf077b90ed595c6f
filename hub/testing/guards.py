"""Guards that prove translation code is pure: no network, no wall clock.

``no_network()`` replaces the socket constructors of the *test process* for the duration of a
``with`` block. ``no_clock(module_roots)`` replaces ``datetime``/``date``/``time`` as seen by the
connector's own modules with versions whose ``now()``, ``today()``, ``utcnow()``, ``time()`` …
raise. Everything else of those names keeps working (``fromisoformat``, ``isinstance`` checks,
``timedelta`` arithmetic). Violations are also recorded, so a connector that swallows exceptions
with a broad ``except`` is still caught.
"""

from __future__ import annotations

import datetime as _dt
import socket
import sys
import time as _time
import types
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

__all__ = ["ImpureCall", "Violations", "module_roots_of", "no_clock", "no_network"]


class ImpureCall(BaseException):
    """Raised when mapping or verification touches the network or the clock. A BaseException so
    that a connector's ``except Exception`` does not hide it."""


class Violations(list[str]):
    """What the guarded code tried to do."""

    def record(self, what: str) -> None:
        self.append(what)
        raise ImpureCall(what)


@contextmanager
def no_network(violations: Violations | None = None) -> Iterator[Violations]:
    """Every socket creation or DNS lookup in the block raises :class:`ImpureCall`."""
    found = violations if violations is not None else Violations()

    def refuse(name: str) -> Any:
        def _refuse(*args: Any, **kwargs: Any) -> Any:
            found.record(f"network: socket.{name} called")
        return _refuse

    saved = {name: getattr(socket, name) for name in ("socket", "create_connection", "getaddrinfo", "socketpair")}
    try:
        for name in saved:
            setattr(socket, name, refuse(name))
        yield found
    finally:
        for name, original in saved.items():
            setattr(socket, name, original)


def _guarded_types(found: Violations) -> dict[str, Any]:
    class _Meta(type):
        def __instancecheck__(cls, obj: object) -> bool:
            return isinstance(obj, cls.__bases__[0])

        def __subclasscheck__(cls, sub: type) -> bool:
            return issubclass(sub, cls.__bases__[0])

    def _clock(name: str, original: Any = None) -> Any:
        def _read(*args: Any, **kwargs: Any) -> Any:
            if original is not None and (args or kwargs):  # gmtime(ts) converts, it does not read the clock
                return original(*args, **kwargs)
            found.record(f"clock: {name}() called (use ctx.now / request.received_at)")
        return _read

    class GuardedDateTime(_dt.datetime, metaclass=_Meta):
        now = classmethod(lambda cls, tz=None: _clock("datetime.now")())
        utcnow = classmethod(lambda cls: _clock("datetime.utcnow")())
        today = classmethod(lambda cls: _clock("datetime.today")())

    class GuardedDate(_dt.date, metaclass=_Meta):
        today = classmethod(lambda cls: _clock("date.today")())

    dt_module = types.ModuleType("datetime")
    dt_module.__dict__.update({k: v for k, v in vars(_dt).items() if not k.startswith("__")})
    dt_module.datetime = GuardedDateTime  # type: ignore[attr-defined]
    dt_module.date = GuardedDate  # type: ignore[attr-defined]

    time_module = types.ModuleType("time")
    time_module.__dict__.update({k: v for k, v in vars(_time).items() if not k.startswith("__")})
    clock_names = ("time", "time_ns", "monotonic", "monotonic_ns", "perf_counter", "perf_counter_ns")
    converters = ("localtime", "gmtime", "ctime")
    for name in clock_names:
        setattr(time_module, name, _clock(f"time.{name}"))
    for name in converters:
        setattr(time_module, name, _clock(f"time.{name}", getattr(_time, name)))
    clock_names += converters
    replacements: dict[int, Any] = {
        id(_dt.datetime): GuardedDateTime, id(_dt.date): GuardedDate, id(_dt): dt_module, id(_time): time_module,
    }
    for name in clock_names:
        replacements[id(getattr(_time, name))] = getattr(time_module, name)
    return replacements


def module_roots_of(*objects: object) -> set[str]:
    """Top-level package names that define the given objects (a connector's factory, its class)."""
    roots = set()
    for obj in objects:
        module = getattr(obj, "__module__", None) or getattr(type(obj), "__module__", None)
        if module and module not in ("builtins", "__main__"):
            roots.add(module.split(".")[0])
    return roots - {"hub"}  # never patch the hub itself


@contextmanager
def no_clock(module_roots: Iterable[str], violations: Violations | None = None) -> Iterator[Violations]:
    """In every loaded module under ``module_roots``, swap clock-reading names for raising ones."""
    found = violations if violations is not None else Violations()
    replacements = _guarded_types(found)
    roots = tuple(module_roots)
    patched: list[tuple[types.ModuleType, str, Any]] = []
    try:
        for mod_name, module in list(sys.modules.items()):
            if module is None or not any(mod_name == r or mod_name.startswith(r + ".") for r in roots):
                continue
            for attr, value in list(vars(module).items()):
                replacement = replacements.get(id(value))
                if replacement is not None:
                    patched.append((module, attr, value))
                    setattr(module, attr, replacement)
        yield found
    finally:
        for module, attr, original in reversed(patched):
            setattr(module, attr, original)
