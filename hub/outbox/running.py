"""The rows this process runs now, and what a handler asks of the row it runs.

A row is claimed under this process's name (`identity`); while its handler runs, the row is held here and the
worker's heartbeat renews its lease (hub/worker.py). A handler reads its row's payload and the event that caused it
from the claim, without a query, and may leave its last writes to the transaction that ends the row (`finish_with`).
"""

from __future__ import annotations

import os
import socket
import threading
import uuid
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator

from sqlalchemy.orm import Session

from hub.db.engine import transaction
from hub.db.models import DeliveryEvent, OutboxItem
from hub.runtime import Runtime


@dataclass(frozen=True)
class Claim:
    id: int
    kind: str
    attempts: int  # this try's number: with the worker id it names the claim
    worker: str
    payload: dict[str, Any] = field(default_factory=dict, compare=False)
    event_id: str | None = field(default=None, compare=False)  # the event that caused the row, if one did


_identity = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
_held: dict[int, Claim] = {}  # the rows this process runs now
_held_lock = threading.Lock()


def identity() -> str:
    """This process's name on the claims it takes."""
    return _identity


def set_identity(name: str) -> None:
    global _identity
    _identity = name


def held() -> list[int]:
    """Rows this process is running now (the heartbeat renews their leases)."""
    with _held_lock:
        return sorted(_held)


def _claim_of(item_id: int) -> Claim | None:
    with _held_lock:
        return _held.get(item_id)


def payload_of(runtime: Runtime, item_id: int) -> dict[str, Any]:
    """A row's payload: from its claim when this process is running it (no query), else from the database."""
    known = _claim_of(item_id)
    if known is not None:
        return known.payload
    with runtime.sessions() as session:
        item = session.get(OutboxItem, item_id)
        return dict(item.payload or {}) if item else {}


def event_of(session: Session, item_id: int) -> DeliveryEvent | None:
    """The event that caused a row: named by its claim when this process is running it (the row is not read
    again: a query fewer for every row of work), else by the row in the database."""
    known = _claim_of(item_id)
    if known is not None:
        event_id = known.event_id
    else:
        item = session.get(OutboxItem, item_id)
        event_id = item.event_id if item is not None else None
    return session.get(DeliveryEvent, event_id) if event_id else None


@contextmanager
def holding(taken: Claim) -> Iterator[None]:
    """The row is this process's while its handler runs: the heartbeat renews its lease (`held`)."""
    with _held_lock:
        _held[taken.id] = taken
    try:
        yield
    finally:
        with _held_lock:
            _held.pop(taken.id, None)


_closing: dict[int, Callable[[Session], None]] = {}  # row id -> the writes its handler left to the row's end


def finish_with(runtime: Runtime, item_id: int, write: Callable[[Session], None]) -> None:
    """A handler's last writes, after its outside call (a carrier's answer): the relay runs them in the transaction
    that records the row's end and claims the next row, one transaction fewer per row. They run there only after
    the handler returned; if they fail, the try failed. Outside the relay (a test calling the handler), at once."""
    if _claim_of(item_id) is None:
        with transaction(runtime.sessions) as session:
            write(session)
        return
    with _held_lock:
        _closing[item_id] = write


def closing_writes(item_id: int) -> Callable[[Session], None] | None:
    """What the row's handler left to its end (`finish_with`), taken once."""
    with _held_lock:
        return _closing.pop(item_id, None)
