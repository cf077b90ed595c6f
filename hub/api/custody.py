"""Chain of custody for operators: re-verify a delivery's history and its POD files, read its proofs of
delivery with signed file links, and record a handoff (warehouse -> driver -> carrier -> recipient)."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema
from sqlalchemy import select

from hub.api.auth import current, require_role
from hub.api.declare import AsStored, Blueprint, StoredDocument
from hub.api.deliveries import load_delivery
from hub.api.errors import ApiError, field_errors
from hub.canonical.event_payloads import HolderSchema
from hub.canonical.events import EventSchema
from hub.canonical.fields import Timestamp
from hub.canonical.validation import validate_document
from hub.db.engine import transaction
from hub.db.media import media_store, signed_url
from hub.db.models import DeliveryEvent
from hub.execution.custody import media_refs, record_handoff, verify_custody
from hub.ledger.events import envelope
from hub.runtime import get_runtime

blp = Blueprint("custody", __name__, url_prefix="/api/v1/deliveries", description="Chain of custody and proof of delivery")

LINK_KINDS = ["event", "status", "media"]


class BrokenLink(Schema):
    sequence = fields.Integer(required=True, metadata={"description": "The event sequence where custody breaks"})
    kind = fields.String(required=True, validate=validate.OneOf(LINK_KINDS))
    reason = fields.String(required=True)
    status = fields.String(allow_none=True, metadata={"description": "kind status: what the delivery row says"})
    expected_status = fields.String(allow_none=True, metadata={"description": "kind status: what its events last set"})
    media_id = fields.String(metadata={"description": "kind media: the file at fault"})


class ChainCheck(Schema):
    ok = fields.Boolean(required=True)
    checked = fields.Integer(required=True, metadata={"description": "Events verified"})
    broken_at_sequence = fields.Integer(required=True, allow_none=True)
    reason = fields.String(required=True)
    kind = fields.String(required=True, allow_none=True, validate=validate.OneOf(["event", "status"]))
    status = fields.String(allow_none=True)
    expected_status = fields.String(allow_none=True)


class MediaCheck(Schema):
    media_id = fields.String(required=True)
    sequence = fields.Integer(required=True)
    ok = fields.Boolean(required=True)
    reason = fields.String(required=True)
    stored_by_hub = fields.Boolean(required=True, metadata={"description": "False for a file the carrier keeps"})


class NamedHolder(HolderSchema):
    """Who held the goods: a kind and an id (a recipient may have a name instead)."""

    class Meta(HolderSchema.Meta):
        openapi = {"anyOf": [{"required": ["id"]}, {"required": ["name"]}]}

    @validates_schema
    def _named(self, data: dict[str, Any], **kwargs: Any) -> None:
        # The event schema makes both optional (the hub records "to the recipient" itself); a caller names one.
        if not data.get("id") and not data.get("name"):
            raise ValidationError("needs an id (or a name, for a recipient)")


class HandoffRecord(Schema):
    sequence = fields.Integer(required=True)
    at = fields.String(required=True, metadata={"format": "date-time"})
    from_ = AsStored(HolderSchema, required=True, data_key="from", attribute="from")
    to = AsStored(HolderSchema, required=True)


class CustodyGap(Schema):
    sequence = fields.Integer(required=True)
    expected_from = AsStored(HolderSchema, required=True, metadata={"description": "Who held it last"})
    from_ = AsStored(HolderSchema, required=True, data_key="from", attribute="from",
                     metadata={"description": "Who the handoff says gave it"})


class CustodyReport(Schema):
    delivery_id = fields.String(required=True)
    ok = fields.Boolean(required=True, metadata={"description": "False when anything changed after it was recorded"})
    first_broken = fields.Nested(BrokenLink, required=True, allow_none=True)
    chain = fields.Nested(ChainCheck, required=True)
    media = fields.List(fields.Nested(MediaCheck), required=True)
    handoffs = fields.List(fields.Nested(HandoffRecord), required=True)
    custody_gaps = fields.List(fields.Nested(CustodyGap), required=True)


class PodEvent(EventSchema):
    """A delivery.pod_captured event (schemas/events/envelope.v1.json) with signed links to its stored files."""

    media_urls = fields.Dict(keys=fields.String(), values=fields.String(), required=True,
                             metadata={"description": "Media id -> signed link, valid 15 minutes"})


class PodList(Schema):
    items = fields.List(AsStored(PodEvent), required=True)


class HandoffBody(Schema):
    from_ = fields.Nested(NamedHolder, required=True, data_key="from")
    to = fields.Nested(NamedHolder, required=True)
    occurred_at = Timestamp(metadata={"description": "When it changed hands; now when left out"})
    note = fields.String()


class HandoffEvent(StoredDocument, EventSchema):
    """The delivery.handoff event recorded (schemas/events/envelope.v1.json)."""


def _utc(moment: datetime | None) -> datetime | None:
    # SQLite keeps no offset: a +02:00 time stored as it is would be read back two hours off.
    return moment.astimezone(timezone.utc) if moment is not None else None


@blp.route("/<delivery_id>/custody", methods=["GET"])
@blp.doc(summary="Re-verify the delivery's history and POD files",
         description="Recomputes the event hash chain up to the newest event the delivery's record names, checks "
         "the delivery's status against the status its events last set, and the SHA-256 of every stored file a "
         "POD references. `ok` is false when anything was changed after it was recorded; `first_broken` names "
         "the first broken link by event sequence: kind `event` (an event edited, removed, replaced or added "
         "behind the hub's back), `status` (with `status` and `expected_status`) or `media`. `handoffs` is who "
         "held it when; `custody_gaps` lists handoffs whose giver was not the last holder.")
@blp.response(200, CustodyReport)
@require_role("admin", "integration")
def custody(delivery_id: str) -> dict[str, Any]:
    with get_runtime().sessions() as session:
        delivery = load_delivery(session, delivery_id)
        return verify_custody(session, media_store(get_runtime().config), delivery).as_dict()


@blp.route("/<delivery_id>/pod", methods=["GET"])
@blp.doc(summary="The delivery's proofs of delivery, with signed links to the files (valid 15 minutes)")
@blp.response(200, PodList)
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


@blp.route("/<delivery_id>/handoffs", methods=["POST"])
@blp.doc(summary="Record a handoff", description="kind is warehouse, driver, carrier or recipient; each side "
         "names an id (a recipient may have a name instead).")
@blp.arguments(HandoffBody)
@blp.response(201, HandoffEvent)
@require_role("admin", "integration")
def handoff(body: dict[str, Any], delivery_id: str) -> tuple[dict[str, Any], int]:
    handoff_data = {"from": body["from_"], "to": body["to"], **({"note": body["note"]} if "note" in body else {})}
    errors = validate_document("events/handoff.v1", handoff_data)  # the JSON Schema is the event's contract
    if errors:
        raise ApiError(422, "validation_failed", "the handoff is not valid", field_errors(errors))
    caller = current()
    with transaction(get_runtime().sessions) as session:
        delivery = load_delivery(session, delivery_id)
        event = record_handoff(session, delivery, body["from_"], body["to"], occurred_at=_utc(body.get("occurred_at")),
                               actor={"kind": caller.role, "id": caller.key_id}, note=body.get("note", ""))
        return envelope(event), 201
