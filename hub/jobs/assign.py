"""Outbox handler "assign": on delivery.created, and on delivery.updated when something the decision depends
on changed, run the assignment engine and record its decision (hub/assignment/recording.py).

Idempotent: one outbox row runs once (hub/outbox/relay.py), and a decision already taken for this very
event is not taken again when a crashed run is retried.
"""

from __future__ import annotations

from hub.assignment.recording import RELEVANT_FIELDS, assign_and_record, earlier_attempts
from hub.db.engine import transaction
from hub.db.models import utcnow
from hub.ledger.events import SYSTEM, lock_delivery
from hub.outbox.relay import event_of
from hub.runtime import Runtime


def assign_delivery(runtime: Runtime, item_id: int) -> None:
    with transaction(runtime.sessions) as session:
        event = event_of(session, item_id)
        if event is None:
            return
        if event.type == "delivery.updated" and not RELEVANT_FIELDS & set(event.data.get("changed", [])):
            return
        delivery = lock_delivery(session, event.delivery_id)
        if delivery is None:
            return
        trigger = f"{event.type}:{event.id}"
        attempts = earlier_attempts(session, delivery.id)
        if any((attempt.actor or {}).get("trigger") == trigger for attempt in attempts):
            return
        assign_and_record(session, delivery, utcnow(), actor=SYSTEM, trigger=event.type, trigger_id=trigger,
                          attempts=attempts)
