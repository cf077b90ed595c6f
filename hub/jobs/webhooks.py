"""Outbox handlers of subscribers' webhooks: "webhooks.deliver" (one try of one message, hub/webhooks/delivery.py)
and "webhooks.fanout" (rows written before fan-out moved into the event's own transaction)."""

from __future__ import annotations

from typing import Any

from hub.db.engine import transaction
from hub.db.models import OutboxItem, utcnow
from hub.ledger.subscribers import fan_out_event
from hub.outbox.relay import Deferred
from hub.outbox.running import event_of, payload_of
from hub.runtime import Runtime
from hub.webhooks.delivery import attempt, close_dead


def deliver(runtime: Runtime, item_id: int) -> None:
    """Outbox handler for "webhooks.deliver"."""
    row_id = payload_of(runtime, item_id).get("webhook_delivery_id")
    if not row_id:
        return
    result = attempt(runtime, row_id)
    if result.wait_s is not None:
        raise Deferred(result.wait_s, result.detail)


def mark_dead(session: Any, item: OutboxItem) -> None:
    """on_dead of "webhooks.deliver": the message ends dead with the work row's last error."""
    close_dead(session, (item.payload or {}).get("webhook_delivery_id"), item.last_error or "the job kept failing")


def fan_out(runtime: Runtime, item_id: int) -> None:
    """Outbox handler for "webhooks.fanout": idempotent, rows are unique per (event, subscription)."""
    with transaction(runtime.sessions) as session:
        event = event_of(session, item_id)
        if event is not None:
            fan_out_event(session, event, utcnow())
