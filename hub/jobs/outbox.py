"""Runs one outbox row through its handler, once: a processed row is never handled again.

A handler may raise `Deferred` (a receiver said Retry-After): the row stays open with `retry_at`
set, and the sweeper hands it back to RQ once that time has come.
"""

from __future__ import annotations

from datetime import timedelta

from rq.utils import import_attribute

from hub.db.engine import transaction
from hub.db.models import OutboxItem, utcnow
from hub.jobs.routes import HANDLERS
from hub.runtime import get_runtime


class Deferred(Exception):
    def __init__(self, retry_after_s: float, reason: str) -> None:
        super().__init__(reason)
        self.retry_after_s = retry_after_s


def run_outbox_item(item_id: int) -> str:
    runtime = get_runtime()
    with transaction(runtime.sessions) as session:
        item = session.get(OutboxItem, item_id)
        if item is None:
            return "missing"
        if item.processed_at is not None:
            return "already processed"
        item.attempts += 1
        kind = item.kind
    handler = import_attribute(HANDLERS[kind].func)
    try:
        handler(runtime, item_id)
    except Deferred as deferred:
        with transaction(runtime.sessions) as session:
            row = session.get(OutboxItem, item_id)
            row.retry_at = utcnow() + timedelta(seconds=deferred.retry_after_s)
            row.last_error = f"deferred: {deferred}"[:2000]
        return "deferred"
    except Exception as exc:
        with transaction(runtime.sessions) as session:
            session.get(OutboxItem, item_id).last_error = f"{type(exc).__name__}: {exc}"[:2000]
        raise
    with transaction(runtime.sessions) as session:
        row = session.get(OutboxItem, item_id)
        row.processed_at, row.last_error, row.retry_at = utcnow(), None, None
    return "processed"
