"""What an answer from outside may show in the hub's own answers and records: its status and reason phrase,
never its body. A URL an owner set can point at any server, and an internal server's error page can hold
anything (a metadata token, a stack trace); echoing it would make the hub a window onto that server."""

from __future__ import annotations

from typing import Any

import requests

from hub.egress.targets import TargetRefused

# A reason phrase is one or two words ("Bad Gateway"); more is a body smuggled into the status line.
REASON_CHARS = 40


def summary(status: int, reason: Any = "") -> str:
    """`HTTP 502 Bad Gateway`: the status and the start of the reason phrase, on one line."""
    words = " ".join(str(reason or "").split())[:REASON_CHARS]
    return f"HTTP {status}{' ' + words if words else ''}"


def _status_of(response: Any) -> tuple[int, Any] | None:
    """(status, reason) of a requests or urllib-style response object, if it is one."""
    if isinstance(response, requests.Response):
        return response.status_code, response.reason
    code = getattr(response, "code", None)
    return (code, getattr(response, "msg", "")) if isinstance(code, int) else None


def describe(exc: BaseException) -> str:
    """One safe line about a failed call out: the guard's own refusal, a summarised answer, or what kind
    of network failure it was; never the other side's words."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, TargetRefused):
            return f"refused: {seen}"
        found = _status_of(getattr(seen, "response", None)) or _status_of(seen)  # urllib's HTTPError is both
        if found is not None and 100 <= found[0] < 600:
            return f"answered {summary(*found)}"
        seen = seen.__cause__ or seen.__context__
    if isinstance(exc, requests.Timeout) or "timed out" in str(exc) or "in time" in str(exc):
        return "no answer in time"
    if isinstance(exc, (requests.ConnectionError, ConnectionError)) or "could not" in str(exc):
        return "could not connect"
    return type(exc).__name__
