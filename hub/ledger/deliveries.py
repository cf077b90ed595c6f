"""Deliveries: upsert keyed by (source, external id), status changes, cancellation. Every change
writes its event (and so its outbox rows) in the caller's transaction."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Iterable

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from hub.canonical.fields import parse_aware_timestamp
from hub.canonical.ids import new_delivery_id
from hub.canonical.statuses import TERMINAL, check_move, moves_forward
from hub.db.models import Delivery, DeliveryEvent, utcnow
from hub.ledger.events import append_event, begin_chain, iso
from hub.ledger.tracking_links import new_tracking_link
from hub.outbox.rows import created_here

SCHEMA_VERSION = "1"
# Fields the hub owns: a client or connector never sets them.
SERVER_FIELDS = ("id", "tenant", "schema_version", "status", "created_at", "updated_at", "version")


@dataclass(frozen=True)
class Source:
    connector: str
    source_key: str  # installation id, or "api" for deliveries posted to the API directly
    installation_id: str | None = None
    store: str | None = None


@dataclass
class UpsertResult:
    delivery: Delivery
    created: bool
    changed: list[str] = field(default_factory=list)  # top-level canonical fields that changed
    late: bool = False  # older than what the source already sent: recorded, not applied


def source_time(doc: dict[str, Any]) -> datetime | None:
    """When the source last changed the order, by its own clock (source.updated_at), if it said."""
    return parse_aware_timestamp((doc.get("source") or {}).get("updated_at"))


# Built once: every order that comes in is looked up by its source first.
_BY_SOURCE = select(Delivery).where(Delivery.tenant_id == bindparam("tenant_id"),
                                    Delivery.source_key == bindparam("source_key"),
                                    Delivery.external_id == bindparam("external_id"))


def find_by_source(session: Session, tenant_id: str, source_key: str, external_id: str) -> Delivery | None:
    return session.execute(_BY_SOURCE, {"tenant_id": tenant_id, "source_key": source_key,
                                        "external_id": external_id}).scalar_one_or_none()


def _content(doc: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in doc.items() if k not in SERVER_FIELDS}


def _source_block(source: Source, given: dict[str, Any]) -> dict[str, Any]:
    block = {**given, "connector": source.connector}
    if source.installation_id:
        block["installation_id"] = source.installation_id
    if source.store and not block.get("store"):
        block["store"] = source.store
    return block


def _flags_need_attention(doc: dict[str, Any]) -> bool:
    return any(flag.get("severity", "warning") in ("warning", "error") for flag in doc.get("data_quality_flags", []))


def upsert_delivery(
    session: Session,
    *,
    tenant_id: str,
    source: Source,
    content: dict[str, Any],
    actor: dict[str, Any],
    existing: Delivery | None,
    delivery_id: str | None = None,
    occurred_at: datetime | None = None,
) -> UpsertResult:
    """Create the delivery, or update it when its content changed. Running it twice changes nothing.
    `existing` is the delivery with this source and external id as the caller found it (`find_by_source`):
    every caller looks it up first, and ingest is the hub's busiest path."""
    content = _content(content)
    content["source"] = _source_block(source, content.get("source", {}))
    external_id = str(content["source"]["external_id"])
    now = utcnow()
    if existing is None:
        status = "needs_attention" if _flags_need_attention(content) else "received"
        delivery_id = delivery_id or new_delivery_id()
        doc = {
            "id": delivery_id, "tenant": tenant_id, "schema_version": SCHEMA_VERSION, **content,
            "status": status, "created_at": iso(now), "updated_at": iso(now), "version": 1,
        }
        delivery = Delivery(
            id=delivery_id, tenant_id=tenant_id, installation_id=source.installation_id,
            source_key=source.source_key, source_connector=source.connector, external_id=external_id,
            status=status, service_level=content.get("service_level", "unknown"), document=doc,
            created_at=now, updated_at=now, window_day=window_day(doc, now),
        )
        session.add(delivery)  # inserted at the next flush, with its first event as its head
        begin_chain(session, delivery.id)
        created_here(session, delivery.id)
        new_tracking_link(session, delivery)
        append_event(session, delivery, "delivery.created", {"delivery": doc}, actor=actor, occurred_at=occurred_at)
        return UpsertResult(delivery, created=True)

    old = _content(existing.document)
    changed = sorted(k for k in set(old) | set(content) if old.get(k) != content.get(k))
    if not changed:
        return UpsertResult(existing, created=False)
    sent, applied = source_time(content), source_time(existing.document)
    if sent is not None and applied is not None and sent < applied:
        # A replay or the store's own late retry: the order as it was before a change already applied.
        append_event(session, existing, "delivery.update_reported_late",
                     {"changed": changed, "source_updated_at": iso(sent), "applied_source_updated_at": iso(applied),
                      "reason": "the source changed this order after the version sent"},
                     actor=actor, occurred_at=occurred_at)
        return UpsertResult(existing, created=False, late=True)
    if existing.status in TERMINAL:
        # A finished delivery keeps its record; the update is recorded but does not reopen it.
        append_event(session, existing, "delivery.update_ignored",
                     {"changed": changed, "reason": f"delivery is already {existing.status}"},
                     actor=actor, occurred_at=occurred_at)
        return UpsertResult(existing, created=False)
    write_document(existing, {**existing.document, **content}, now, removed=set(old) - set(content))
    append_event(session, existing, "delivery.updated",
                 {"changed": changed, "delivery": existing.document}, actor=actor, occurred_at=occurred_at)
    return UpsertResult(existing, created=False, changed=changed)


def window_day(doc: dict[str, Any], created_at: datetime) -> date:
    """The day the customer expects the delivery: the date its first promised window starts on, as written (in
    the window's own offset), else the day it was created."""
    start = (doc.get("promised_window") or {}).get("start")
    try:
        return datetime.fromisoformat(str(start).replace("Z", "+00:00")).date() if start else created_at.date()
    except ValueError:
        return created_at.date()


def write_document(delivery: Delivery, doc: dict[str, Any], now: datetime, removed: Iterable[str] = ()) -> None:
    for key in removed:
        doc.pop(key, None)
    doc["updated_at"] = iso(now)
    doc["version"] = (delivery.version or 0) + 1  # the mapper bumps the column to the same number
    doc["status"] = delivery.status
    delivery.document = doc
    delivery.service_level = doc.get("service_level", "unknown")
    delivery.updated_at = now
    delivery.window_day = window_day(doc, delivery.created_at or now)


def last_status_time(session: Session, delivery: Delivery) -> datetime | None:
    return session.execute(
        select(DeliveryEvent.occurred_at)
        .where(DeliveryEvent.delivery_id == delivery.id, DeliveryEvent.type == "delivery.status_changed")
        .order_by(DeliveryEvent.sequence.desc())
        .limit(1)
    ).scalar_one_or_none()


def change_status(
    session: Session,
    delivery: Delivery,
    new_status: str,
    *,
    actor: dict[str, Any],
    reason: str = "",
    reason_code: str | None = None,
    occurred_at: datetime | None = None,
    extra: dict[str, Any] | None = None,
) -> DeliveryEvent | None:
    """Move the delivery to `new_status` (InvalidTransition if not allowed). A late event (older than the
    last status change) moves the delivery only when it takes it further along; otherwise it is recorded
    for the history (delivery.status_reported_late) and the status stays."""
    if new_status == delivery.status:
        return None
    # Only a report that says when it happened can be late; the hub's own moves happen now (no query for them).
    last = last_status_time(session, delivery) if occurred_at else None
    late = bool(occurred_at and last and iso(occurred_at) < iso(last)) \
        and not moves_forward(delivery.status, new_status)
    if not late:
        check_move(delivery.status, new_status)
    data: dict[str, Any] = {"status": new_status, "previous_status": delivery.status, "reason": reason, **(extra or {})}
    if reason_code:
        data["reason_code"] = reason_code
    if late:
        data["late"] = True
        return append_event(session, delivery, "delivery.status_reported_late", data, actor=actor, occurred_at=occurred_at)
    delivery.status = new_status
    write_document(delivery, dict(delivery.document), utcnow())
    return append_event(session, delivery, "delivery.status_changed", data, actor=actor, occurred_at=occurred_at)


def cancel_delivery(session: Session, delivery: Delivery, *, actor: dict[str, Any], reason: str) -> DeliveryEvent | None:
    if delivery.status == "cancelled":
        return None
    return change_status(session, delivery, "cancelled", actor=actor, reason=reason, reason_code="cancelled")
