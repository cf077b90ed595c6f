"""Runs one outbox row through its handler, once: a processed row is never handled again."""

from __future__ import annotations

from rq.utils import import_attribute
from sqlalchemy import select

from hub.db.models import OutboxItem, utcnow
from hub.db.engine import transaction
from hub.jobs.routes import HANDLERS
from hub.runtime import get_runtime


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
    except Exception as exc:
        with transaction(runtime.sessions) as session:
            session.get(OutboxItem, item_id).last_error = f"{type(exc).__name__}: {exc}"[:2000]
        raise
    with transaction(runtime.sessions) as session:
        row = session.execute(select(OutboxItem).where(OutboxItem.id == item_id)).scalar_one()
        row.processed_at = utcnow()
        row.last_error = None
    return "processed"
