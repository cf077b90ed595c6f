"""Outbox handler "assign": on delivery.created, and on delivery.updated when something the decision depends
on changed, run the assignment engine and record its decision (hub/assignment/recording.py).

Idempotent: one outbox row runs once (hub/outbox/relay.py), and a decision already taken for this very
event is not taken again when a crashed run is retried.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from hub.assignment.recording import RELEVANT_FIELDS, assign_and_record, earlier_attempts
from hub.db.engine import transaction
from hub.db.models import utcnow
from hub.ledger.events import SYSTEM, lock_delivery
from hub.outbox.running import event_of, payload_of
from hub.runtime import Runtime


def _cause(session: Session, runtime: Runtime, item_id: int) -> tuple[str, str, str] | None:
    """(event type, event id, delivery id) of the row's event, or None when there is nothing to decide. A new
    delivery's row names all three (hub/outbox/rows.py): the event itself is read only for an update."""
    payload = payload_of(runtime, item_id)
    if payload.get("event_type") == "delivery.created" and payload.get("event_id") and payload.get("delivery_id"):
        return "delivery.created", payload["event_id"], payload["delivery_id"]
    event = event_of(session, item_id)
    if event is None:
        return None
    if event.type == "delivery.updated" and not RELEVANT_FIELDS & set(event.data.get("changed", [])):
        return None
    return event.type, event.id, event.delivery_id


def assign_delivery(runtime: Runtime, item_id: int) -> None:
    with transaction(runtime.sessions) as session:
        cause = _cause(session, runtime, item_id)
        if cause is None:
            return
        event_type, event_id, delivery_id = cause
        delivery = lock_delivery(session, delivery_id)
        if delivery is None:
            return
        trigger = f"{event_type}:{event_id}"
        attempts = earlier_attempts(session, delivery.id)
        if any((attempt.actor or {}).get("trigger") == trigger for attempt in attempts):
            return
        assign_and_record(session, delivery, utcnow(), actor=SYSTEM, trigger=event_type, trigger_id=trigger,
                          attempts=attempts)
