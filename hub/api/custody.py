"""Chain of custody for operators: re-verify a delivery's history and its POD files, read its proofs of
delivery with signed file links, and record a handoff (warehouse -> driver -> carrier -> recipient)."""

from __future__ import annotations

from typing import Any

from flask_smorest import Blueprint
from sqlalchemy import select

from hub.api.auth import current, require_role
from hub.api.deliveries import load_delivery
from hub.api.errors import ApiError, field_errors
from hub.api.requests import json_body
from hub.canonical.fields import parse_aware_timestamp
from hub.canonical.validation import FieldError, validate_document
from hub.db.engine import transaction
from hub.db.media import media_store, signed_url
from hub.db.models import DeliveryEvent
from hub.execution.custody import media_refs, record_handoff, verify_custody
from hub.ledger.events import envelope
from hub.runtime import get_runtime

blp = Blueprint("custody", __name__, url_prefix="/api/v1/deliveries", description="Chain of custody and proof of delivery")


@blp.route("/<delivery_id>/custody", methods=["GET"])
@blp.doc(summary="Re-verify the delivery's history and POD files",
         description="Recomputes the event hash chain up to the newest event the delivery's record names, checks "
         "the delivery's status against the status its events last set, and the SHA-256 of every stored file a "
         "POD references. `ok` is false when anything was changed after it was recorded; `first_broken` names "
         "the first broken link by event sequence: kind `event` (an event edited, removed, replaced or added "
         "behind the hub's back), `status` (with `status` and `expected_status`) or `media`. `handoffs` is who "
         "held it when; `custody_gaps` lists handoffs whose giver was not the last holder.")
@require_role("admin", "integration")
def custody(delivery_id: str) -> dict[str, Any]:
    with get_runtime().sessions() as session:
        delivery = load_delivery(session, delivery_id)
        return verify_custody(session, media_store(get_runtime().config), delivery).as_dict()


@blp.route("/<delivery_id>/pod", methods=["GET"])
@blp.doc(summary="The delivery's proofs of delivery, with signed links to the files (valid 15 minutes)")
@require_role("admin", "integration")
def pods(delivery_id: str) -> dict[str, Any]:
    config = get_runtime().config
    with get_runtime().sessions() as session:
        load_delivery(session, delivery_id)
        events = session.execute(select(DeliveryEvent).where(DeliveryEvent.delivery_id == delivery_id,
                                                             DeliveryEvent.type == "delivery.pod_captured")
                                 .order_by(DeliveryEvent.sequence)).scalars().all()
        return {"items": [{**envelope(e), "media_urls": {r["id"]: signed_url(config, r["id"])
                                                         for r in media_refs(e.data) if str(r.get("id", "")).startswith("med_")}}
                          for e in events]}


def _holder_named(value: Any, path: str) -> list[FieldError]:
    """The schema makes id and name optional (the hub records "to the recipient" itself); a caller names one."""
    if isinstance(value, dict) and not any(isinstance(value.get(k), str) and value[k] for k in ("id", "name")):
        return [FieldError(path, "needs an id (or a name, for a recipient)")]
    return []


@blp.route("/<delivery_id>/handoffs", methods=["POST"])
@blp.doc(summary="Record a handoff", description='Body: {"from": {"kind", "id"}, "to": {"kind", "id"}, '
         '"occurred_at"?, "note"?}; kind is warehouse, driver, carrier or recipient (a recipient may have a name '
         "instead of an id).")
@require_role("admin", "integration")
def handoff(delivery_id: str) -> tuple[dict[str, Any], int]:
    body, _ = json_body()
    if not isinstance(body, dict):
        raise ApiError(422, "validation_failed", "the body must be a JSON object", [{"path": "$", "message": "object"}])
    handoff_data = {k: body[k] for k in ("from", "to", "note") if k in body}
    errors = validate_document("events/handoff.v1", handoff_data) or (
        _holder_named(body["from"], "$.from") + _holder_named(body["to"], "$.to"))
    occurred_at = parse_aware_timestamp(body.get("occurred_at")) if body.get("occurred_at") is not None else None
    if body.get("occurred_at") is not None and occurred_at is None:
        errors.append(FieldError("$.occurred_at", "must be an ISO 8601 time with a timezone"))
    if errors:
        raise ApiError(422, "validation_failed", "the handoff is not valid", field_errors(errors))
    caller = current()
    with transaction(get_runtime().sessions) as session:
        delivery = load_delivery(session, delivery_id)
        event = record_handoff(session, delivery, body["from"], body["to"], occurred_at=occurred_at,
                               actor={"kind": caller.role, "id": caller.key_id}, note=body.get("note", ""))
        return envelope(event), 201
