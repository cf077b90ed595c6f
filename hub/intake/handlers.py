"""What each kind of inbound event does to the hub's deliveries. Called inside the ingest transaction."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from sqlalchemy.orm import Session

from hub.canonical.statuses import TERMINAL
from hub.canonical.validation import validate_document
from hub.carriers.exchange import apply_inbound_report
from hub.db.models import InboxItem, Installation
from hub.errors import PermanentError
from hub.intake.inbox import outcome
from hub.intake.known_addresses import learn
from hub.intake.mappings import mapping_context
from hub.intake.quality import with_quality_flags, with_window_flag
from hub.intake.reservations import confirm, with_reservation
from hub.intake.warehouse import apply_warehouse_event, keep_warehouse_fields
from hub.ledger.destinations import keep_pickup_point
from hub.ledger.deliveries import Source, cancel_delivery, change_status, find_by_source, upsert_delivery
from hub.ledger.envelope import iso
from hub.plugins.capabilities import require
from hub.plugins.overrides import apply_overrides
from hub.plugins.values import InboundEvent
from hub.runtime import Runtime

API_SOURCE_KEY = "api"


def _actor(installation: Installation) -> dict[str, Any]:
    return {"kind": "connector", "id": installation.id, "connector": installation.connector}


def upsert_from_api(session: Session, item: InboxItem, content: dict[str, Any]) -> dict[str, Any]:
    """A canonical delivery posted to the API (already validated when it was accepted)."""
    existing = find_by_source(session, item.tenant_id, API_SOURCE_KEY, str(content["source"]["external_id"]))
    learn(session, item.tenant_id, content, item.received_at)  # the slot query's address book (no geocoder)
    hold = None
    if existing is not None:
        content = keep_pickup_point(existing.document, keep_warehouse_fields(session, existing, content))
    else:
        content, hold = with_reservation(session, item.tenant_id, content, item.received_at)
        content = with_window_flag(content, item.received_at)
    result = upsert_delivery(
        session, tenant_id=item.tenant_id, source=Source(connector="api", source_key=API_SOURCE_KEY),
        content=with_quality_flags(content), actor={"kind": "integration", "id": item.tenant_id}, existing=existing,
        delivery_id=item.delivery_id,
    )
    if hold is not None and result.created:
        confirm(hold, result.delivery.id, item.received_at)
    return outcome("processed", delivery_id=result.delivery.id, created=result.created, changed=result.changed)


def with_source_time(content: dict[str, Any], occurred_at: datetime | None) -> dict[str, Any]:
    """The source's own time of this version of the order (the event's time: Shopify and Magento updated_at,
    WooCommerce date_modified_gmt) in source.updated_at, unless the mapping set it: upsert orders by it."""
    source = content.get("source") or {}
    if occurred_at is None or source.get("updated_at"):
        return content
    return {**content, "source": {**source, "updated_at": iso(occurred_at)}}


def _source(installation: Installation, store: str | None) -> Source:
    return Source(connector=installation.connector, source_key=installation.id,
                  installation_id=installation.id, store=store)


def map_order(runtime: Runtime, installation: Installation, connector: object, event: InboundEvent,
              now: datetime, *, first_seen: bool = False) -> tuple[dict[str, Any] | None, str | None]:
    """Run the connector's pure mapping plus the owner's overrides; (content, None) or (None, skip reason).
    An order the store shipped itself before the hub first saw it is skipped, never delivered again."""
    ctx = mapping_context(runtime.registry, installation, now)  # field overrides and table patches
    mapped = require(connector, "map_delivery").to_delivery(event.payload, ctx)
    if mapped.delivery is None:
        return None, mapped.skip_reason
    if first_seen and mapped.shipped_by_source:
        return None, "not deliverable: the store already shipped the whole order"
    content, override_warnings = apply_overrides(mapped.delivery, event.payload, ctx.overrides)
    flags = [*content.get("data_quality_flags", []), *(w.as_flag() for w in [*mapped.warnings, *override_warnings])]
    if flags:
        content["data_quality_flags"] = flags
    content = with_quality_flags(content)  # hub/intake/quality.py: unit, geo, postal code, phone
    errors = validate_document("delivery_input.v1", content)
    if errors:
        detail = "; ".join(f"{e.path}: {e.message}" for e in errors[:10])
        raise PermanentError(f"the mapped delivery does not fit the canonical schema: {detail}")
    return content, None


def apply_inbound_event(
    runtime: Runtime, session: Session, installation: Installation, connector: object, event: InboundEvent
) -> dict[str, Any]:
    now = datetime.now(timezone.utc)
    if event.kind in ("ping", "ignored"):
        return outcome("skipped", kind=event.kind, topic=event.topic, reason=event.reason or event.kind)
    if event.kind == "uninstalled":
        installation.status, installation.paused_reason = "paused", "the store uninstalled the app"
        return outcome("processed", kind=event.kind)
    if event.kind == "warehouse":
        return apply_warehouse_event(session, installation, event)
    external_id = str(event.external_id) if event.external_id is not None else None
    existing = (find_by_source(session, installation.tenant_id, installation.id, external_id)
                if external_id else None)
    if event.kind == "order.upsert":
        content, skip_reason = map_order(runtime, installation, connector, event, now, first_seen=existing is None)
        if content is None:
            if existing is not None and existing.status not in TERMINAL:
                cancel_delivery(session, existing, actor=_actor(installation), reason=f"no longer deliverable: {skip_reason}")
                return outcome("processed", kind=event.kind, delivery_id=existing.id, cancelled=True, reason=skip_reason)
            return outcome("skipped", kind=event.kind, external_id=external_id, reason=skip_reason)
        learn(session, installation.tenant_id, content, now)  # the slot query's address book (no geocoder)
        if existing is not None:  # the recipient's pickup point outlives a store update that keeps their address
            content = keep_pickup_point(existing.document, keep_warehouse_fields(session, existing, content))
        mapped_id = str(content["source"]["external_id"])
        if mapped_id != external_id:  # the mapping names the delivery otherwise than the webhook did
            existing = find_by_source(session, installation.tenant_id, installation.id, mapped_id)
        hold = None
        if existing is None:
            content, hold = with_reservation(session, installation.tenant_id, content, now)
            content = with_window_flag(content, now)
        content = with_source_time(content, event.occurred_at)
        result = upsert_delivery(
            session, tenant_id=installation.tenant_id, source=_source(installation, content.get("source", {}).get("store")),
            content=content, actor=_actor(installation), existing=existing, occurred_at=event.occurred_at,
        )
        if hold is not None and result.created:
            confirm(hold, result.delivery.id, now)
        if result.late:
            return outcome("skipped", kind=event.kind, delivery_id=result.delivery.id, late=True,
                           reason="older than the version of this order already applied")
        return outcome("processed", kind=event.kind, delivery_id=result.delivery.id,
                       created=result.created, changed=result.changed)
    if event.kind in ("order.cancel", "order.delete"):
        if existing is None:
            return outcome("skipped", kind=event.kind, external_id=external_id, reason="no delivery for this order")
        if existing.status in ("delivered", "returned"):  # e.g. a refund closes the order after delivery
            return outcome("skipped", kind=event.kind, delivery_id=existing.id,
                           reason=f"the delivery is already {existing.status}")
        cancel_delivery(session, existing, actor=_actor(installation), reason=event.reason or event.topic)
        return outcome("processed", kind=event.kind, delivery_id=existing.id, cancelled=True)
    if event.kind in ("status", "pod") and runtime.registry.get(installation.connector).kind == "carrier":
        # A carrier's report names its job, not the store's order: the carrier-job flow applies it.
        return outcome(**apply_inbound_report(session, installation.id, external_id, event.payload))
    if event.kind == "status":
        if existing is None:
            return outcome("skipped", kind=event.kind, external_id=external_id, reason="no delivery for this reference")
        status = str(event.payload.get("status"))
        change_status(session, existing, status, actor=_actor(installation), reason=str(event.payload.get("reason", "")),
                      reason_code=event.payload.get("reason_code"), occurred_at=event.occurred_at)
        return outcome("processed", kind=event.kind, delivery_id=existing.id, status=status)
    return outcome("skipped", kind=event.kind, reason=f"events of kind {event.kind!r} are not handled yet")
