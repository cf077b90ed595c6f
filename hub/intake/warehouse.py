"""What a warehouse event (picking started, packed, ready for dispatch) does to a delivery.

Called by the ingest job inside its transaction for every ``InboundEvent`` of kind ``warehouse`` (see
connectors/wms and docs/connectors/wms.md). Every event is recorded as a ``delivery.warehouse`` event
with its stage; ``packed`` replaces the parcels and ``ready_for_dispatch`` sets ``pickup.ready_at``, each
through a document update that writes ``delivery.updated``. Running the same event twice changes nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from hub.canonical.fields import parse_aware_timestamp
from hub.canonical.statuses import TERMINAL
from hub.canonical.validation import validate_document
from hub.db.models import Delivery, DeliveryEvent, Installation, utcnow
from hub.errors import PermanentError
from hub.intake.inbox import outcome
from hub.ledger.deliveries import write_document
from hub.ledger.events import append_event
from hub.ledger.readiness import WAREHOUSE_EVENT, warehouse_history
from hub.plugins.values import InboundEvent

STAGES = ("picking_started", "packed", "ready_for_dispatch")
# Warehouse parcel fields that have a canonical twin; parcel_ref stays in the event history only.
_PARCEL_FIELDS = ("sku", "description", "quantity", "weight_g", "dimensions_mm", "temperature")



def find_delivery(session: Session, tenant_id: str, ref: Mapping[str, Any]) -> tuple[Delivery | None, str]:
    """The delivery a warehouse reference names, within the tenant; (None, why) when there is none or
    the reference is ambiguous (the same order id from two stores: name the installation instead)."""
    if ref.get("delivery_id"):
        delivery = session.get(Delivery, str(ref["delivery_id"]))
        if delivery is None or delivery.tenant_id != tenant_id:
            return None, f"no delivery {ref['delivery_id']} in this tenant"
        return delivery, ""
    source, external_id = str(ref.get("source", "")), str(ref.get("external_id", ""))
    rows = session.execute(select(Delivery).where(
        Delivery.tenant_id == tenant_id, Delivery.external_id == external_id,
        or_(Delivery.source_connector == source, Delivery.source_key == source, Delivery.installation_id == source),
    ).limit(2)).scalars().all()
    if not rows:
        return None, f"no delivery for order {external_id!r} from {source!r}"
    if len(rows) > 1:
        return None, f"order {external_id!r} from {source!r} matches several deliveries; send delivery_id or an installation id"
    return rows[0], ""


def canonical_parcels(parcels: list[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Warehouse parcels as canonical delivery parcels (schemas/delivery.v1.json#/$defs/Parcel)."""
    return [{k: p[k] for k in _PARCEL_FIELDS if p.get(k) is not None} for p in parcels]



def _newer_applied(history: list[DeliveryEvent], stage: str, occurred_at: datetime | None) -> bool:
    """Has a later event of the same stage already been applied? (Events may arrive out of order.)"""
    if occurred_at is None:
        return False
    for event in history:
        if event.data.get("stage") == stage and event.data.get("applied"):
            seen = parse_aware_timestamp(event.data.get("occurred_at"))
            if seen is not None and seen > occurred_at:
                return True
    return False


def update_document(session: Session, delivery: Delivery, changes: Mapping[str, Any], *,
                    actor: dict[str, Any], occurred_at: datetime | None) -> list[str]:
    """Set top-level canonical fields of the delivery document and write ``delivery.updated``.
    Returns the fields that changed (none: nothing is written)."""
    changed = sorted(k for k, v in changes.items() if delivery.document.get(k) != v)
    if not changed:
        return []
    doc = {**delivery.document, **{k: changes[k] for k in changed}}
    errors = validate_document("delivery.v1", doc)
    if errors:
        raise PermanentError("the warehouse update does not fit the canonical delivery: "
                             + "; ".join(f"{e.path}: {e.message}" for e in errors[:10]))
    write_document(delivery, doc, utcnow())  # the same bookkeeping as every other document change
    append_event(session, delivery, "delivery.updated", {"changed": changed, "delivery": delivery.document},
                 actor=actor, occurred_at=occurred_at)
    return changed


def _changes(stage: str, event: Mapping[str, Any], delivery: Delivery, location_id: str | None) -> dict[str, Any]:
    if stage == "packed":
        return {"parcels": canonical_parcels(event["parcels"])}
    if stage == "ready_for_dispatch":
        pickup = {**(delivery.document.get("pickup") or {}), "ready_at": event["ready_at"]}
        location = event.get("location_id") or location_id
        if location and not pickup.get("location_id"):
            pickup["location_id"] = location
        return {"pickup": pickup}
    return {}


def apply_warehouse_event(session: Session, installation: Installation, event: InboundEvent) -> dict[str, Any]:
    """Apply one parsed warehouse event (``event.payload`` is a warehouse_event.v1 body) and say what it did."""
    body = dict(event.payload)
    stage = str(body.get("type"))
    if stage not in STAGES:
        return outcome("skipped", kind=event.kind, reason=f"unknown warehouse stage {stage!r}")
    delivery, why = find_delivery(session, installation.tenant_id, body.get("delivery_ref") or {})
    if delivery is None:
        return outcome("skipped", kind=event.kind, stage=stage, external_id=event.external_id, reason=why)
    event_id = str(body.get("event_id"))
    history = warehouse_history(session, delivery)
    if any(e.data.get("event_id") == event_id for e in history):
        return outcome("skipped", kind=event.kind, stage=stage, delivery_id=delivery.id,
                       reason=f"warehouse event {event_id} was already applied")
    occurred_at = event.occurred_at or parse_aware_timestamp(body.get("occurred_at"))
    if occurred_at is not None:  # UTC before it is stored: SQLite keeps no offset and would misread -04:00
        occurred_at = occurred_at.astimezone(timezone.utc)
    actor = {"kind": "warehouse", "id": installation.id}
    location_id = (installation.settings or {}).get("location_id")
    data: dict[str, Any] = {"stage": stage, "event_id": event_id, "installation_id": installation.id,
                            "occurred_at": body.get("occurred_at")}
    for key in ("location_id", "parcels", "ready_at", "note"):
        if body.get(key) is not None:
            data[key] = body[key]
    changed: list[str] = []
    if delivery.status in TERMINAL:
        data.update(applied=False, reason=f"delivery is already {delivery.status}")
    elif _newer_applied(history, stage, occurred_at):
        data.update(applied=False, reason=f"a newer {stage} event was already applied")
    else:
        changed = update_document(session, delivery, _changes(stage, body, delivery, location_id),
                                  actor=actor, occurred_at=occurred_at)
        data.update(applied=True, changed=changed)
    append_event(session, delivery, WAREHOUSE_EVENT, data, actor=actor, occurred_at=occurred_at)
    return outcome("processed", kind=event.kind, stage=stage, delivery_id=delivery.id,
                   applied=data["applied"], changed=changed)


def keep_warehouse_fields(session: Session, delivery: Delivery, content: dict[str, Any]) -> dict[str, Any]:
    """A store's order update must not undo what the warehouse reported: packed parcels (real weights and
    sizes) and the pickup's ready-at time stay as the warehouse set them."""
    applied = {event.data.get("stage") for event in warehouse_history(session, delivery) if event.data.get("applied")}
    kept = dict(content)
    if "packed" in applied and "parcels" in delivery.document:
        kept["parcels"] = delivery.document["parcels"]
    if "ready_for_dispatch" in applied and "pickup" in delivery.document:
        kept["pickup"] = {**(content.get("pickup") or {}), **{k: v for k, v in delivery.document["pickup"].items()
                                                             if k in ("ready_at", "location_id")}}
    return kept
