"""Delivery events: append-only, hash-chained, and written with their outbox rows in one transaction.

Each event's hash is SHA-256(previous hash + the event's canonical JSON). Editing, deleting or
reordering any stored event breaks every later link, which `verify_chain` names.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.canonical.ids import new_event_id
from hub.canonical import canonical_json
from hub.db.models import Delivery, DeliveryEvent, utcnow
from hub.outbox import add_outbox_for_event

GENESIS_HASH = "0" * 64
SYSTEM = {"kind": "system", "id": "hub"}


def iso(moment: datetime) -> str:
    """UTC, microseconds, 'Z': one spelling, so a value hashes the same after a database round trip."""
    if moment.tzinfo is None:  # SQLite hands back naive datetimes; the hub stores UTC only
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def hashed_fields(event: DeliveryEvent) -> dict[str, Any]:
    return {
        "id": event.id,
        "tenant": event.tenant_id,
        "delivery_id": event.delivery_id,
        "sequence": event.sequence,
        "type": event.type,
        "occurred_at": iso(event.occurred_at),
        "recorded_at": iso(event.recorded_at),
        "actor": event.actor,
        "data": event.data,
    }


def link_hash(prev_hash: str, event: DeliveryEvent) -> str:
    return hashlib.sha256(prev_hash.encode("ascii") + canonical_json(hashed_fields(event))).hexdigest()


def append_event(
    session: Session,
    delivery: Delivery,
    event_type: str,
    data: dict[str, Any],
    *,
    actor: dict[str, Any] | None = None,
    occurred_at: datetime | None = None,
) -> DeliveryEvent:
    last = session.execute(
        select(DeliveryEvent.sequence, DeliveryEvent.hash)
        .where(DeliveryEvent.delivery_id == delivery.id)
        .order_by(DeliveryEvent.sequence.desc())
        .limit(1)
    ).first()
    now = utcnow()
    event = DeliveryEvent(
        id=new_event_id(),
        tenant_id=delivery.tenant_id,
        delivery_id=delivery.id,
        sequence=(last.sequence + 1) if last else 1,
        type=event_type,
        occurred_at=occurred_at.astimezone(timezone.utc) if occurred_at else now,  # SQLite keeps no offsets
        recorded_at=now,
        actor=actor or SYSTEM,
        data=data,
        prev_hash=last.hash if last else GENESIS_HASH,
    )
    event.hash = link_hash(event.prev_hash, event)
    session.add(event)
    session.flush()
    add_outbox_for_event(session, event, delivery)
    return event


def envelope(event: DeliveryEvent) -> dict[str, Any]:
    """The stored event in the shape of schemas/events/envelope.v1.json."""
    return {
        "id": event.id,
        "type": event.type,
        "delivery_id": event.delivery_id,
        "tenant": event.tenant_id,
        "sequence": event.sequence,
        "occurred_at": iso(event.occurred_at),
        "recorded_at": iso(event.recorded_at),
        "actor": event.actor,
        "data": event.data,
    }


@dataclass(frozen=True)
class ChainReport:
    ok: bool
    checked: int
    broken_at: int | None = None  # sequence number of the first event that does not verify
    reason: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "checked": self.checked, "broken_at_sequence": self.broken_at, "reason": self.reason}


def verify_chain(events: Iterable[DeliveryEvent]) -> ChainReport:
    prev, checked = GENESIS_HASH, 0
    for expected_sequence, event in enumerate(sorted(events, key=lambda e: e.sequence), start=1):
        if event.sequence != expected_sequence:
            return ChainReport(False, checked, expected_sequence, f"event {expected_sequence} is missing")
        if event.prev_hash != prev:
            return ChainReport(False, checked, event.sequence, "does not point at the previous event's hash")
        if link_hash(prev, event) != event.hash:
            return ChainReport(False, checked, event.sequence, "its content was changed after it was recorded")
        prev, checked = event.hash, checked + 1
    return ChainReport(True, checked)
