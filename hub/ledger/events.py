"""Delivery events: append-only, hash-chained, and written with their outbox rows in one transaction.

Each event's hash is SHA-256(previous hash + the event's canonical JSON). Editing, deleting or
reordering any stored event breaks every later link, which `verify_chain` names. The delivery row
names the newest event (`events_head_sequence`, `events_head_hash`, written with each event), so
events removed from the end are caught too, and its `status` must be the one the events last set.
The chain is unkeyed: whoever can rewrite the events and the delivery row consistently is not caught.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Iterable

from sqlalchemy import bindparam, select, true, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from hub.canonical import canonical_json
from hub.canonical.ids import new_event_id
from hub.db.engine import keep_loaded, transaction_memo
from hub.db.models import Delivery, DeliveryEvent, Tenant, utcnow
from hub.ledger.envelope import envelope, iso  # noqa: F401 (the published shape; re-exported where events are read)
from hub.ledger.subscribers import fan_out_event, has_subscriptions, note_subscriptions
from hub.outbox.rows import add_outbox_for_event, note_waiting, waiting_columns

GENESIS_HASH = "0" * 64
SYSTEM = {"kind": "system", "id": "hub"}


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


HEADS = "event heads"  # transaction memo: delivery id -> (sequence, hash) of the event this transaction wrote last


def begin_chain(session: Session, delivery_id: str) -> None:
    """The delivery was created in this transaction: its first event follows the genesis hash (no query)."""
    transaction_memo(session, HEADS)[delivery_id] = (0, GENESIS_HASH)


def holds_chain(session: Session, delivery: Delivery) -> None:
    """`delivery` was just read with its row locked (FOR UPDATE, its attributes refreshed; SQLite: inside the
    write transaction), so no writer can append to its chain before this transaction ends and the head it records
    is the chain's head: the next event follows it without a query."""
    if delivery.events_head_sequence is not None and delivery.events_head_hash is not None:
        transaction_memo(session, HEADS).setdefault(delivery.id, (delivery.events_head_sequence,
                                                                  delivery.events_head_hash))


# What the events written next would ask for, read with the locked delivery: its tenant (whether it sends customer
# messages: `session.get(Tenant, ...)` then needs no query), whether the tenant has webhook subscriptions
# (hub/ledger/subscribers.py `note_subscriptions`) and each per-delivery row of work that waits, locked
# (hub/outbox/rows.py `waiting_columns`). Bind `locked_params()`; hand the row to `hold_locked`.
LOCKED_WITH = (Tenant, has_subscriptions(Delivery.tenant_id), *waiting_columns(Delivery.id))
_LOCK = (select(Delivery, *LOCKED_WITH).join(Tenant, Tenant.id == Delivery.tenant_id)
         .where(Delivery.id == bindparam("delivery_id")).with_for_update(of=Delivery)
         .execution_options(populate_existing=True))  # built once


def locked_params() -> dict[str, Any]:
    return {"p_waiting_now": utcnow()}


def hold_locked(session: Session, found: Any) -> Delivery:
    """Remember, for this transaction, what a row read with LOCKED_WITH (and its delivery locked) says."""
    holds_chain(session, found.Delivery)
    keep_loaded(session, found.Tenant)
    note_subscriptions(session, found.Delivery.tenant_id, found.has_subscriptions)
    note_waiting(session, found.Delivery.id, found)
    return found.Delivery  # type: ignore[no-any-return]


def lock_delivery(session: Session, delivery_id: str) -> Delivery | None:
    """The delivery, its row locked until this transaction ends (see `holds_chain`)."""
    found = session.execute(_LOCK, {"delivery_id": delivery_id, **locked_params()}).first()
    return hold_locked(session, found) if found is not None else None


def _head(session: Session, delivery: Delivery) -> tuple[int, str]:
    """The sequence and hash the next event continues from: the delivery's recorded head, unless a newer
    event row exists (the delivery was read before another writer committed). A head ahead of the newest
    row means events were removed: the next event still follows the head, so the gap stays on the record.
    After this transaction wrote an event of the delivery it holds the delivery's row lock (the head's UPDATE)
    until it ends, so that event is the head: no query."""
    known = transaction_memo(session, HEADS).get(delivery.id)
    if known is not None:
        return known  # type: ignore[no-any-return]
    newest = (select(DeliveryEvent.sequence, DeliveryEvent.hash).where(DeliveryEvent.delivery_id == delivery.id)
              .order_by(DeliveryEvent.sequence.desc()).limit(1).subquery())
    row = session.execute(  # read here, not from `delivery`: the object may be older than the database
        select(Delivery.events_head_sequence, Delivery.events_head_hash, newest.c.sequence, newest.c.hash)
        .outerjoin(newest, true()).where(Delivery.id == delivery.id)
    ).one()
    if row.events_head_sequence is not None and row.events_head_sequence >= (row.sequence or 0):
        return row.events_head_sequence, row.events_head_hash
    return (row.sequence, row.hash) if row.sequence is not None else (0, GENESIS_HASH)


def append_event(
    session: Session,
    delivery: Delivery,
    event_type: str,
    data: dict[str, Any],
    *,
    actor: dict[str, Any] | None = None,
    occurred_at: datetime | None = None,
) -> DeliveryEvent:
    """The one writer of delivery events: the event, the delivery's head pointing at it, and its outbox rows."""
    last_sequence, last_hash = _head(session, delivery)
    now = utcnow()
    event = DeliveryEvent(
        id=new_event_id(),
        tenant_id=delivery.tenant_id,
        delivery_id=delivery.id,
        sequence=last_sequence + 1,
        type=event_type,
        occurred_at=occurred_at.astimezone(timezone.utc) if occurred_at else now,  # SQLite keeps no offsets
        recorded_at=now,
        actor=actor or SYSTEM,
        data=data,
        prev_hash=last_hash,
    )
    event.hash = link_hash(event.prev_hash, event)
    session.add(event)
    if delivery in session.new or (delivery in session.dirty and session.is_modified(delivery)):
        # Created, or its document changed (a status move, an update), in this transaction and not yet written:
        # its INSERT, or the mapper's UPDATE that bumps `version` once anyway, carries the head too, a statement
        # fewer per event. The next flush writes it all: the unit of work saves mappers in the order of their
        # names (module.Class), so Delivery before DeliveryEvent before the rows that point at either
        # (tests/db/test_flush_order.py pins that order).
        delivery.events_head_sequence, delivery.events_head_hash = event.sequence, event.hash
    else:
        session.flush()
        # A plain UPDATE, not an attribute change: the mapper would bump `version`, which counts document changes.
        session.execute(update(Delivery.__table__).where(Delivery.__table__.c.id == delivery.id)
                        .values(events_head_sequence=event.sequence, events_head_hash=event.hash))
        set_committed_value(delivery, "events_head_sequence", event.sequence)
        set_committed_value(delivery, "events_head_hash", event.hash)
    transaction_memo(session, HEADS)[delivery.id] = (event.sequence, event.hash)
    add_outbox_for_event(session, event, delivery)
    # Subscribers' messages in this same transaction: a later event's message can never exist without the
    # earlier ones, so per-subscriber order holds even when a worker dies between two events.
    fan_out_event(session, event, now)
    return event


@dataclass(frozen=True)
class ChainHead:
    """What the delivery row records about its own history: its newest event, and the status it is in."""

    sequence: int | None
    hash: str | None
    status: str


def load_chain(session: Session, delivery_id: str) -> tuple[list[DeliveryEvent], ChainHead | None]:
    """The delivery's events, oldest first, and its recorded head, in one statement: one snapshot of both, so a
    writer committing meanwhile (PostgreSQL reads committed data per statement) cannot make them disagree."""
    rows = session.execute(
        select(Delivery.events_head_sequence, Delivery.events_head_hash, Delivery.status, DeliveryEvent)
        .outerjoin(DeliveryEvent, DeliveryEvent.delivery_id == Delivery.id)
        .where(Delivery.id == delivery_id).order_by(DeliveryEvent.sequence)
    ).all()
    if not rows:
        return [], None
    return [row[3] for row in rows if row[3] is not None], ChainHead(rows[0][0], rows[0][1], rows[0][2])


@dataclass(frozen=True)
class ChainReport:
    ok: bool
    checked: int
    broken_at: int | None = None  # sequence number of the first event that does not verify
    reason: str = ""
    kind: str = "event"  # "event": a stored event (or its absence); "status": the delivery's status column
    status: str | None = None  # kind "status": what the delivery row says ...
    expected_status: str | None = None  # ... and what its events last set

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"ok": self.ok, "checked": self.checked, "broken_at_sequence": self.broken_at,
                               "reason": self.reason, "kind": None if self.ok else self.kind}
        if self.kind == "status":
            out.update(status=self.status, expected_status=self.expected_status)
        return out


def _status_set_by(events: list[DeliveryEvent]) -> tuple[int, str | None] | None:
    """The sequence and status of the last event that set the status: a delivery.status_changed (a late report,
    delivery.status_reported_late, does not), else the document the delivery was created with."""
    for event in reversed(events):
        if event.type == "delivery.status_changed":
            return event.sequence, (event.data or {}).get("status")
    for event in events:
        if event.type == "delivery.created":
            return event.sequence, ((event.data or {}).get("delivery") or {}).get("status")
    return None


def _check_head(events: list[DeliveryEvent], recorded_head: ChainHead, checked: int) -> ChainReport | None:
    """The newest event must be the one the delivery row names; its status, the one the events last set."""
    newest = events[-1] if events else None
    last, head = (newest.sequence if newest else 0), recorded_head.sequence or 0
    recorded = (f"the delivery's record says the chain ends at {head}" if head
                else "the delivery's record names no event")
    if head > last:
        missing = "every event is missing" if not last else f"events after sequence {last} are missing"
        return ChainReport(False, checked, last + 1, f"{missing} ({recorded})")
    if head < last:
        extra = f"event {last} was" if head + 1 == last else f"events {head + 1} to {last} were"
        return ChainReport(False, checked, head + 1, f"{extra} not written by the hub ({recorded})")
    if newest is not None and newest.hash != recorded_head.hash:
        return ChainReport(False, checked, last, "it is not the event the delivery's record names as the newest "
                                                 "(it was replaced)")
    set_by = _status_set_by(events)
    status = recorded_head.status
    if set_by is not None and set_by[1] != status:
        sequence, expected = set_by
        return ChainReport(False, checked, sequence, f"the delivery row says {status!r}, but its events say "
                           f"{expected!r} (set by event {sequence})", kind="status", status=status,
                           expected_status=expected)
    return None


def verify_chain(events: Iterable[DeliveryEvent], head: ChainHead | None = None) -> ChainReport:
    """Every link of the chain; with the delivery's recorded `head`, also that no event was cut off the end (or
    added behind the hub's back) and that the delivery's status is the one its events last set. Names the first
    thing that fails."""
    ordered = sorted(events, key=lambda e: e.sequence)
    prev, checked = GENESIS_HASH, 0
    for expected_sequence, event in enumerate(ordered, start=1):
        if event.sequence != expected_sequence:
            return ChainReport(False, checked, expected_sequence, f"event {expected_sequence} is missing")
        if event.prev_hash != prev:
            return ChainReport(False, checked, event.sequence, "does not point at the previous event's hash")
        if link_hash(prev, event) != event.hash:
            return ChainReport(False, checked, event.sequence, "its content was changed after it was recorded")
        prev, checked = event.hash, checked + 1
    broken = _check_head(ordered, head, checked) if head is not None else None
    return broken or ChainReport(True, checked)
