"""Which work follows which event: data, in one place. Each outbox kind names its job and queue."""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass


@dataclass(frozen=True)
class Handler:
    func: str  # dotted path of `handler(runtime, item_id: int) -> None`; must be idempotent
    queue: str
    policy: str


HANDLERS: dict[str, Handler] = {}

# (event type pattern, outbox kind): every matching kind gets one outbox row per event.
EVENT_ROUTES: list[tuple[str, str]] = []


def kinds_for_event(event_type: str) -> list[str]:
    return [kind for pattern, kind in EVENT_ROUTES if fnmatch.fnmatchcase(event_type, pattern)]
