"""Server-sent events for the hub's live pages (the customer's tracking page, the console's live map): one
way to stream, so both behave the same behind proxies and on reconnect.

How a stream learns of changes: it looks again every few seconds (`look`, usually a small database read)
and sends only when the answer differs from the last one it sent; in between it sends a comment line, so a
proxy keeps the connection and a closed tab is noticed. A stream ends after a while and the browser's
EventSource reconnects on its own (`retry`), so no server thread is held for ever. No pub/sub: the database
is the one source of truth, and a look works the same on every web process behind any load balancer.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator

from flask import Response

# The browser waits this long before it reconnects after a stream ends: quick enough to miss nothing a
# person would notice, slow enough that a hub restarting is not hammered.
RETRY_MS = 2000


def message(data: str, event: str | None = None) -> str:
    """One event. Each line of `data` gets its own `data:` field (the browser joins them with newlines)."""
    head = f"event: {event}\n" if event else ""
    return head + "".join(f"data: {line}\n" for line in data.split("\n")) + "\n"


def watch(look: Callable[[], str | None], *, every_s: float, for_s: float,
          sleep: Callable[[float], None] = time.sleep, clock: Callable[[], float] = time.monotonic) -> Iterator[str]:
    """The stream: `look()` answers what the page should show now (a string, usually JSON) or None when the
    thing watched is gone (an `event: gone`, then the end). Sent whenever it changes, for about `for_s`."""
    yield f"retry: {RETRY_MS}\n\n"
    deadline = clock() + for_s
    sent: str | None = None
    while True:
        now = look()
        if now is None:
            yield message("{}", "gone")
            return
        if now != sent:
            yield message(now)
            sent = now
        else:
            yield ": still here\n\n"  # a comment line: proxies keep the connection, the browser ignores it
        if clock() + every_s > deadline:
            return
        sleep(every_s)


def response(stream: Iterable[str]) -> Response:
    """The HTTP answer for a stream: never cached, never buffered by a proxy on the way."""
    answer = Response(stream, mimetype="text/event-stream")
    answer.headers["Cache-Control"] = "no-store"
    answer.headers["X-Accel-Buffering"] = "no"  # nginx: pass each event on as it comes
    return answer
