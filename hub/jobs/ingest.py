"""Ingest: turn one stored inbound request into deliveries and events. Idempotent: an item that
was processed is never processed again, and the whole item is one transaction.

Runs as the handler of the item's "ingest" work row: a transient error (a lock, a store API that is down)
is raised, and the row is tried again by the ingest policy; when the policy gives up, `mark_dead` records
the end on the inbox item too, so the API stops answering "processing" and says why.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.db.engine import transaction
from hub.db.models import InboxItem, Installation, OutboxItem, utcnow
from hub.errors import PermanentError, classify_exception
from hub.intake.handlers import apply_inbound_event, upsert_from_api
from hub.intake.inbox import as_request, outcome
from hub.jobs.fetch import schedule_fetch
from hub.ledger.installations import connector_for
from hub.outbox.running import payload_of
from hub.plugins.capabilities import require
from hub.runtime import Runtime, get_runtime

log = logging.getLogger(__name__)


def ingest_item(runtime: Runtime, work_id: int) -> None:
    """Work-row handler "ingest"."""
    inbox_id = payload_of(runtime, work_id).get("inbox_id")
    if inbox_id is not None:
        process_inbox_item(inbox_id, runtime)


def mark_dead(session: Session, work: OutboxItem) -> None:
    """The ingest policy gave up: the inbox item failed, with the last error as its reason."""
    item = session.get(InboxItem, (work.payload or {}).get("inbox_id"))
    if item is not None and item.state == "pending":
        reason = f"gave up after {work.attempts} tries: {work.last_error or 'unknown error'}"
        item.state, item.outcome, item.processed_at = "failed", outcome("failed", reason=reason, error_kind="transient"), utcnow()


def process_inbox_item(item_id: int, runtime: Runtime | None = None) -> dict[str, Any]:
    runtime = runtime or get_runtime()
    try:
        with transaction(runtime.sessions) as session:
            item = _lock(session, item_id)
            if item is None:
                return {"state": "missing"}
            if item.state != "pending":
                return item.outcome or {"state": item.state}
            item.attempts += 1
            result = _process(runtime, session, item)
            item.state, item.outcome, item.processed_at = result["state"], result, utcnow()
            return result
    except Exception as exc:
        kind = classify_exception(exc)
        if kind == "transient":
            raise  # the work row is tried again with the ingest policy's backoff
        # Permanent or configuration: record why on the item (a separate transaction) and stop.
        result = outcome("failed", reason=f"{type(exc).__name__}: {exc}", error_kind=kind)
        with transaction(runtime.sessions) as session:
            item = session.get(InboxItem, item_id)
            if item is not None and item.state == "pending":
                item.state, item.outcome, item.processed_at = "failed", result, utcnow()
                if kind == "configuration" and item.installation_id:
                    installation = session.get(Installation, item.installation_id)
                    if installation is not None:
                        installation.status, installation.paused_reason = "paused", str(exc)
        log.warning("inbox item %s failed permanently: %s", item_id, exc)
        return result


def _lock(session: Session, item_id: int) -> InboxItem | None:
    # FOR UPDATE on PostgreSQL; on SQLite the BEGIN IMMEDIATE write lock already serializes writers.
    return session.execute(select(InboxItem).where(InboxItem.id == item_id).with_for_update()).scalar_one_or_none()


def _process(runtime: Runtime, session: Session, item: InboxItem) -> dict[str, Any]:
    if item.installation_id is None:
        try:
            content = json.loads(item.body)
        except ValueError as exc:
            raise PermanentError(f"stored body is not JSON: {exc}") from exc
        return upsert_from_api(session, item, content)
    installation = session.get(Installation, item.installation_id)
    if installation is None:
        return outcome("skipped", reason="the installation was deleted")
    connector = connector_for(runtime.registry, installation)
    events = require(connector, "receive_webhook").parse(as_request(item))
    results = [schedule_fetch(session, item, connector, event) if event.kind == "order.fetch"  # id-only webhooks
               else apply_inbound_event(runtime, session, installation, connector, event) for event in events]
    if not results:
        return outcome("skipped", reason="the request carried nothing to act on")
    states = {r["state"] for r in results}
    state = "processed" if "processed" in states else "skipped"
    return outcome(state, events=results)
