"""Deliveries: create in the canonical format (for custom order systems), read, list, history, cancel."""

from __future__ import annotations

from typing import Any

from flask import request
from marshmallow import Schema, fields, validate
from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.api.auth import actor, current, require_role, with_callers_tenant
from hub.api.declare import AsSent, AsStored, Blueprint, Page, StoredDocument, cursor_field
from hub.api.errors import ApiError, not_found
from hub.api.requests import decode_cursor, encode_cursor, json_body, validated
from hub.canonical.delivery import DeliveryInputSchema, DeliverySchema
from hub.canonical.fields import Timestamp
from hub.canonical.ids import new_delivery_id
from hub.canonical.statuses import transitions
from hub.db.engine import transaction
from hub.db.models import Delivery, DeliveryEvent, InboxItem, utcnow
from hub.db.models.customer import TrackingLink
from hub.execution.visibility import SCOPED_ROLES, may_read, shown, shown_events, visible_ids
from hub.intake.handlers import upsert_from_api
from hub.intake.inbox import store
from hub.ledger.deliveries import cancel_delivery
from hub.ledger.events import envelope
from hub.ledger.tracking_links import tracking_url
from hub.runtime import get_runtime

blp = Blueprint("deliveries", __name__, url_prefix="/api/v1/deliveries", description="Canonical deliveries")


class DeliveryInputBody(AsSent, DeliveryInputSchema):
    """A delivery as submitted (schemas/delivery_input.v1.json), stored exactly as sent."""


class DeliveryDocument(StoredDocument, DeliverySchema):
    """A delivery as stored (schemas/delivery.v1.json). Driver and carrier keys get only the fields their job
    needs (docs/security.md)."""


class Accepted(Schema):
    class Links(Schema):
        self = fields.String(required=True)

    id = fields.String(required=True)
    state = fields.String(required=True, metadata={"description": "Always 'accepted'"})
    created = fields.Boolean(required=True, metadata={"description": "False when this updated an existing delivery"})
    external_id = fields.String(required=True)
    links = fields.Nested(Links, required=True)


class Processing(Schema):
    id = fields.String(required=True)
    state = fields.String(required=True, metadata={"description": "Always 'processing'"})


STATUS_LIST = "^({0})(,({0}))*$".format("|".join(sorted(transitions())))


class DeliveryQuery(Schema):
    status = fields.String(validate=validate.Regexp(STATUS_LIST, error="Not a status or a comma-separated list of statuses."),
                           metadata={"description": "One status or several, comma-separated"})
    source = fields.String(metadata={"description": "Connector id, or 'api'"})
    external_id = fields.String()
    created_after = Timestamp()
    created_before = Timestamp()
    cursor = cursor_field()
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=500))


class DeliveryPage(Page):
    items = fields.List(AsStored(DeliverySchema), required=True)


class Event(Schema):
    """An event of the delivery's hash-chained history (schemas/events/envelope.v1.json)."""

    id = fields.String(required=True)
    type = fields.String(required=True)
    delivery_id = fields.String(required=True)
    tenant = fields.String()
    sequence = fields.Integer(required=True)
    occurred_at = fields.String(required=True, metadata={"format": "date-time"})
    recorded_at = fields.String(metadata={"format": "date-time"})
    actor = fields.Dict(required=True)
    data = fields.Dict(required=True)
    prev_hash = fields.String(allow_none=True)
    hash = fields.String()


class EventList(Schema):
    items = fields.List(fields.Nested(Event), required=True)


class CancelBody(Schema):
    reason = fields.String(validate=validate.Length(max=500))


def load_delivery(session: Session, delivery_id: str) -> Delivery:
    """The delivery when the caller may read it (its tenant's; a driver's or carrier's own work), else 404."""
    caller = current()
    delivery = session.get(Delivery, delivery_id)
    if delivery is None or not may_read(session, delivery, caller.tenant_id, caller.role, caller.subject_id):
        raise not_found("delivery", delivery_id)
    return delivery


# Roles that get the customer's tracking link with a delivery: the tenant's own staff and systems. A driver's or
# carrier's job does not need the customer's private page.
TRACKING_URL_ROLES = ("admin", "integration")


def answered(session: Session, deliveries: list[Delivery], role: str) -> list[dict[str, Any]]:
    """The deliveries as this role sees them, with `tracking_url` (output only) for the roles that get it."""
    out = [shown(d.document, role) for d in deliveries]
    if role not in TRACKING_URL_ROLES or not deliveries:
        return out
    tokens = dict(session.execute(select(TrackingLink.delivery_id, TrackingLink.token).where(
        TrackingLink.delivery_id.in_([d.id for d in deliveries]))).all())
    public_url = get_runtime().config.public_url
    return [{**doc, "tracking_url": tracking_url(public_url, tokens[d.id])} if d.id in tokens else doc
            for d, doc in zip(deliveries, out)]


# An Idempotency-Key is kept as the inbox row's dedupe key ("idem:" + key, in a column of 200 characters): the row
# holds the request as sent and what it did, so a repeat is answered from it.
MAX_IDEMPOTENCY_KEY = 195


def _idempotency_key() -> str | None:
    key = request.headers.get("Idempotency-Key") or None  # an empty header is no key
    if key is not None and len(key) > MAX_IDEMPOTENCY_KEY:
        raise ApiError(400, "bad_idempotency_key",
                       f"the Idempotency-Key header is {len(key)} characters long; send at most {MAX_IDEMPOTENCY_KEY}",
                       [{"path": "header.Idempotency-Key", "message": f"at most {MAX_IDEMPOTENCY_KEY} characters"}])
    return key


def _accepted(outcome: dict[str, Any], doc: dict[str, Any]) -> dict[str, Any]:
    return {"id": outcome["delivery_id"], "state": "accepted", "created": outcome["created"],
            "external_id": str(doc["source"]["external_id"]),
            "links": {"self": f"/api/v1/deliveries/{outcome['delivery_id']}"}}


@blp.route("", methods=["POST"])
@blp.doc(
    summary="Submit a delivery in the canonical format",
    description="Validated (422 names each bad field), stored and created in the request: the id in the "
    "answer can be read and acted on at once; assignment and planning follow in jobs. Posting the same "
    "source.external_id again updates that delivery (and answers its id). Send an Idempotency-Key header "
    "to make retries safe: a repeat gets the first answer.",
    parameters=[{"in": "header", "name": "Idempotency-Key", "required": False,
                 "schema": {"type": "string", "maxLength": MAX_IDEMPOTENCY_KEY},
                 "description": "Any string unique to this submission; a repeat answers the first answer"}],
)
@blp.arguments(DeliveryInputBody)
@blp.response(202, Accepted, description="Created or updated; assignment and planning follow")
@require_role("admin", "integration")
def create_delivery(doc: dict[str, Any]) -> tuple[dict[str, Any], int, dict[str, str]]:
    raw = json_body()[1]
    validated("delivery_input.v1", doc)  # the JSON Schema is the contract; its marshmallow twin documents it
    caller, key = current(), _idempotency_key()
    with transaction(get_runtime().sessions) as session:
        with_callers_tenant(session)
        delivery_id = new_delivery_id()
        item, repeat = store(
            session, tenant_id=caller.tenant_id, source_key=f"api:{caller.tenant_id}",
            dedupe_key=f"idem:{key}" if key else f"req:{delivery_id}", body=raw,
            headers=[("Content-Type", request.content_type or "")], path=request.path, delivery_id=delivery_id,
            schedule=False,
        )
        if repeat and item.body != raw:
            raise ApiError(422, "idempotency_key_reused", "this Idempotency-Key was already used with a different body",
                           [{"path": "header.Idempotency-Key", "message": "reused with another body"}])
        if repeat and item.state == "processed":  # used before, or by a request racing in that got there first
            return _accepted(item.outcome, doc), 202, {"Idempotent-Replayed": "true"}
        # Created here, not by a job: an id the hub answers with is never unknown to the next request. (A repeat
        # not processed yet is a request an older hub stored for a job: it is processed now, once.)
        result = upsert_from_api(session, item, doc)
        item.state, item.outcome, item.processed_at = result["state"], result, utcnow()
    response = _accepted(result, doc)
    return response, 202, {"Location": response["links"]["self"]}


@blp.route("", methods=["GET"])
@blp.doc(summary="List deliveries", description="Newest first. Filters: status, source (connector id or "
         "'api'), external_id, created_after, created_before (ISO 8601 with timezone). Pass next_cursor "
         "back as cursor for the next page. A driver key lists the deliveries of its routes, a carrier key "
         "those dispatched to it, each with the fields its job needs (docs/security.md).")
@blp.arguments(DeliveryQuery, location="query")
@blp.response(200, DeliveryPage)
@require_role("admin", "integration", "carrier", "driver")
def list_deliveries(args: dict[str, Any]) -> dict[str, Any]:
    caller, limit = current(), args["limit"]
    query = select(Delivery).where(Delivery.tenant_id == caller.tenant_id)
    if (mine := visible_ids(caller.tenant_id, caller.role, caller.subject_id)) is not None:
        query = query.where(Delivery.id.in_(mine))
    if args.get("status"):
        unknown = set(args["status"].split(",")) - set(transitions())
        if unknown:
            raise ApiError(400, "bad_query", f"unknown status {sorted(unknown)}",
                           [{"path": "query.status", "message": f"known: {', '.join(sorted(transitions()))}"}])
        query = query.where(Delivery.status.in_(args["status"].split(",")))
    if args.get("source"):
        query = query.where(Delivery.source_connector == args["source"])
    if args.get("external_id"):
        query = query.where(Delivery.external_id == args["external_id"])
    if (after := args.get("created_after")) is not None:
        query = query.where(Delivery.created_at >= after)
    if (before := args.get("created_before")) is not None:
        query = query.where(Delivery.created_at < before)
    if (cursor := decode_cursor(args.get("cursor"))) is not None:
        query = query.where(Delivery.id < cursor)  # ids sort by creation time
    with get_runtime().sessions() as session:
        rows = session.execute(query.order_by(Delivery.id.desc()).limit(limit + 1)).scalars().all()
        page = rows[:limit]
        items = answered(session, list(page), caller.role)
    return {"items": items, "next_cursor": encode_cursor(page[-1].id) if len(rows) > limit else None}


@blp.route("/<delivery_id>", methods=["GET"])
@blp.doc(summary="Get a delivery", description="Deliveries posted to the API exist when the POST answers. 202 "
         "only for a submission queued by an earlier hub version whose ingest job has not run yet.")
@blp.response(200, DeliveryDocument)
@blp.alt_response(202, schema=Processing, description="Still being processed: ask again after Retry-After")
@require_role("admin", "integration", "carrier", "driver")
def get_delivery(delivery_id: str) -> Any:
    caller = current()
    with get_runtime().sessions() as session:
        delivery = session.get(Delivery, delivery_id)
        if delivery is not None and may_read(session, delivery, caller.tenant_id, caller.role, caller.subject_id):
            return answered(session, [delivery], caller.role)[0]
        if caller.role in SCOPED_ROLES:  # a submission still in the inbox is nobody's route or job yet
            raise not_found("delivery", delivery_id)
        pending = session.execute(select(InboxItem).where(
            InboxItem.delivery_id == delivery_id, InboxItem.tenant_id == current().tenant_id)).scalar_one_or_none()
        if pending is not None and pending.state == "pending":
            return {"id": delivery_id, "state": "processing"}, 202, {"Retry-After": "1"}
        if pending is not None and pending.state == "failed":
            raise ApiError(422, "ingest_failed", "this submission could not be processed",
                           [{"path": "$", "message": str(pending.outcome.get("reason", ""))}])
    raise not_found("delivery", delivery_id)


@blp.route("/<delivery_id>/events", methods=["GET"])
@blp.doc(summary="A delivery's event history, oldest first, with the hash chain",
         description="A driver or carrier key sees its own work's progress events only (status, handoffs, "
         "proof, ETA), other parties named by kind, without the hash chain (docs/security.md).")
@blp.response(200, EventList)
@require_role("admin", "integration", "carrier", "driver")
def delivery_events(delivery_id: str) -> dict[str, Any]:
    caller = current()
    with get_runtime().sessions() as session:
        load_delivery(session, delivery_id)
        events = session.execute(select(DeliveryEvent).where(DeliveryEvent.delivery_id == delivery_id)
                                 .order_by(DeliveryEvent.sequence)).scalars().all()
        items = [{**envelope(e), "prev_hash": e.prev_hash, "hash": e.hash} for e in events]
        return {"items": shown_events(items, caller.role, caller.subject_id)}


@blp.route("/<delivery_id>/cancel", methods=["POST"])
@blp.doc(summary="Cancel a delivery", description="409 when it is already delivered or returned.")
@blp.arguments(CancelBody, required=False)
@blp.response(200, DeliveryDocument)
@require_role("admin", "integration")
def cancel(body: dict[str, Any], delivery_id: str) -> dict[str, Any]:
    reason = body.get("reason", "")
    with transaction(get_runtime().sessions) as session:
        delivery = load_delivery(session, delivery_id)
        cancel_delivery(session, delivery, actor=actor(), reason=reason or "cancelled through the API")
        return delivery.document

