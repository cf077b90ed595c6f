"""The carrier API, all of it (carrier keys, or the carrier connector's signature on job reports): a carrier's
accepted jobs, status and proof-of-delivery reports on them, and on deliveries dispatched to it. A carrier sees
and acts on its own jobs only (404 otherwise). Jobs go out to carriers from hub/carriers; reports sent to a
carrier installation's webhook URL come in through /hooks like every inbound webhook."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from flask import g, request
from marshmallow import INCLUDE, Schema, fields, validate
from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.api.auth import Caller, current, require_role
from hub.api.body_limits import large_body
from hub.api.declare import AsSent, AsStored, Blueprint
from hub.api.driver import Completed, PodForm, completed, pod_from_form, refused
from hub.api.errors import ApiError, field_errors, not_found
from hub.canonical.delivery import CarrierJobSchema
from hub.canonical.statuses import transitions
from hub.canonical.validation import load_schema, registry
from hub.carriers.exchange import (
    CARRIER_STATUSES,
    REPORT_TYPES,
    REPORTABLE,
    apply_report,
    apply_to_delivery,
    build_job,
    clock_errors,
    find_job,
    validate_report,
)
from hub.db.engine import transaction
from hub.db.media import media_store
from hub.db.models import Delivery, Installation, utcnow
from hub.db.models.fleet import Assignment, Carrier
from hub.execution.pod import PodRefused, complete_with_pod
from hub.ledger.installations import connector_for
from hub.ledger.tenants import authenticate
from hub.plugins.capabilities import require, supports
from hub.plugins.values import Headers, InboundRequest
from hub.runtime import get_runtime

blp = Blueprint("carrier", __name__, url_prefix="/api/v1/carrier",
                description="For carriers: their jobs, and status and proof of delivery back")


def _inline(name: str) -> dict[str, Any]:
    """A canonical JSON Schema with its $refs written out in place, for the OpenAPI document (which has no
    $defs of its own): the report's data is documented by the very schema that validates it."""
    root = load_schema(name)

    def walk(node: Any, resolver: Any) -> Any:
        if isinstance(node, list):
            return [walk(item, resolver) for item in node]
        if not isinstance(node, dict):
            return node
        if "$ref" in node:
            target = resolver.lookup(node["$ref"])
            rest = {k: walk(v, resolver) for k, v in node.items() if k != "$ref"}
            return {**walk(target.contents, target.resolver), **rest}
        return {k: walk(v, resolver) for k, v in node.items() if k not in ("$schema", "$id", "$defs", "x-version")}

    return walk(dict(root), registry().resolver(base_uri=root["$id"]))  # type: ignore[no-any-return]


URL = r"^https?://"


class MediaLinks(Schema):
    """A proof's images as links the hub downloads (instead of stored files)."""

    signature = fields.String(validate=validate.Regexp(URL, error="must be an http(s) URL"))
    photos = fields.List(fields.String(validate=validate.Regexp(URL, error="must be an http(s) URL")))


class ReportBody(AsSent, Schema):
    """A report on a job: {"type", "occurred_at"?, "data", "media_urls"?}, data per the type's canonical event
    schema (schemas/events/status_changed.v1.json, pod_captured.v1.json). Checked against those JSON Schemas."""

    class Meta:
        unknown = INCLUDE  # other keys are ignored, as they always were
        openapi = {"oneOf": [
            {"properties": {"type": {"const": "delivery.status_changed"}, "data": {"allOf": [
                _inline(REPORT_TYPES["delivery.status_changed"]),
                {"properties": {"status": {"enum": sorted(CARRIER_STATUSES)}}}]}},
             "not": {"required": ["media_urls"]}},
            {"properties": {"type": {"const": "delivery.pod_captured"},
                            "data": _inline(REPORT_TYPES["delivery.pod_captured"])}},
        ]}

    type = fields.String(required=True, validate=validate.OneOf(sorted(REPORT_TYPES)))
    occurred_at = fields.String(metadata={"format": "date-time", "description": "When it happened (RFC 3339 with "
                                          "its offset), at most 5 minutes ahead of the hub's clock"})
    data = fields.Dict(required=True, metadata={"description": "Per the type's canonical event schema"})
    media_urls = fields.Nested(MediaLinks, metadata={"description": "Only with delivery.pod_captured"})


class ReportAnswer(Schema):
    delivery_id = fields.String(required=True)
    status = fields.String(required=True, validate=validate.OneOf(sorted(transitions())))
    event_id = fields.String(required=True, allow_none=True, metadata={"description": "The event recorded; null "
                                                                         "while linked images are fetched"})
    late = fields.Boolean(required=True, metadata={"description": "Recorded as late: the status was not changed"})
    fetching = fields.Nested(MediaLinks, metadata={"description": "Linked images being downloaded; the proof is "
                                                   "recorded once they are"})


class Job(CarrierJobSchema):
    """A job as sent to you (schemas/carrier_job.v1.json), with the delivery's status now."""

    status = fields.String(required=True, validate=validate.OneOf(sorted(transitions())))
    reference = fields.String(required=True, allow_none=True, metadata={"description": "Your reference for it"})


class JobList(Schema):
    items = fields.List(AsStored(Job), required=True)


CARRIER_ONLY = " Needs a carrier key (403 for any other key)."


def _carrier_key() -> Caller | None:
    """The caller when a carrier key is sent (401 for a bad one), None when there is no Authorization header."""
    header = request.headers.get("Authorization", "")
    if not header:
        return None
    scheme, _, token = header.partition(" ")
    with get_runtime().sessions() as session:
        key = authenticate(session, token.strip()) if scheme.lower() == "bearer" else None
    if key is None:
        raise ApiError(401, "unauthorized", "this API key is not valid (unknown or revoked)")
    if key.role != "carrier" or not key.subject_id:
        raise ApiError(403, "forbidden", "this needs a carrier key (role carrier, issued for one carrier)")
    g.caller = Caller(key.tenant_id, key.role, key.id, key.subject_id)
    return g.caller


def _signed_by_carrier(carrier: Carrier) -> bool:
    """A request without a key must carry the carrier connector's signature (Standard Webhooks for hub_carrier)."""
    runtime = get_runtime()
    with runtime.sessions() as session:
        installation = session.get(Installation, carrier.installation_id) if carrier.installation_id else None
        connector = connector_for(runtime.registry, installation) if installation else None
    if connector is None or not supports(connector, "receive_webhook"):
        return False
    inbound = InboundRequest(method=request.method, path=request.path, headers=Headers(list(request.headers.items())),
                             body=request.get_data(cache=True), query=request.args.to_dict(),
                             remote_addr=request.remote_addr, received_at=datetime.now(timezone.utc))
    return require(connector, "receive_webhook").verify(inbound).ok


@blp.route("/jobs", methods=["GET"])
@blp.doc(summary="Your jobs (carrier key): the ones you accepted and not yet finished", description=CARRIER_ONLY)
@blp.response(200, JobList)
@require_role("carrier")
def my_jobs() -> dict[str, Any]:
    caller = current()
    with get_runtime().sessions() as session:
        rows = session.execute(select(Assignment).where(
            Assignment.tenant_id == caller.tenant_id, Assignment.carrier_id == caller.subject_id,
            Assignment.state == "accepted").order_by(Assignment.created_at)).scalars().all()
        items = []
        for row in rows:
            delivery = session.get(Delivery, row.delivery_id)
            items.append({**build_job(delivery.document, row, get_runtime().config.public_url),
                          "status": delivery.status, "reference": row.external_ref})
        return {"items": items}


@blp.route("/jobs/<job_id>/status", methods=["POST"])
@blp.doc(summary="Report status or proof of delivery for one of your jobs",
         description="Authenticate with your carrier key (Authorization: Bearer) or sign with Standard Webhooks "
         "using the secret of your installation. Applied now: 200 with the delivery's status, 409 for a move "
         "the status machine does not allow (or a job no longer yours), 422 for a delivered without the "
         "proof the delivery requires; 409 clock_ahead for a report dated more than 5 minutes ahead. Another "
         "carrier's job is 404; any key but a carrier key is 403.",
         security=[])
@blp.arguments(ReportBody)
@blp.response(200, ReportAnswer)
def report(body: dict[str, Any], job_id: str) -> dict[str, Any]:
    caller = _carrier_key()
    with get_runtime().sessions() as session:
        assignment = find_job(session, job_id)
        carrier = session.get(Carrier, assignment.carrier_id) if assignment and assignment.carrier_id else None
    if assignment is None or carrier is None:
        raise not_found("job", job_id)
    if caller is not None and (caller.tenant_id != carrier.tenant_id or caller.subject_id != carrier.id):
        raise not_found("job", job_id)
    if caller is None and not _signed_by_carrier(carrier):
        raise ApiError(401, "signature_invalid", "send your carrier key or a valid webhook signature")
    _valid_report(body)
    with transaction(get_runtime().sessions) as session:
        assignment = find_job(session, job_id)
        if assignment is None or assignment.state not in REPORTABLE:
            state = assignment.state if assignment else "gone"
            raise ApiError(409, "job_closed", f"job {job_id} is {state}: it is not yours to report on any more")
        delivery = session.get(Delivery, assignment.delivery_id)
        return apply_carrier_report(session, delivery, assignment, body)


def _carrier_delivery(session: Session, delivery_id: str) -> tuple[Delivery, Assignment]:
    """The delivery when its current assignment is an accepted job of the calling carrier, else 404."""
    caller = current()
    delivery = session.get(Delivery, delivery_id)
    row = session.execute(select(Assignment).where(Assignment.delivery_id == delivery_id)
                          .order_by(Assignment.attempt.desc()).limit(1)).scalar_one_or_none()
    if delivery is None or delivery.tenant_id != caller.tenant_id or row is None \
            or row.carrier_id != caller.subject_id or row.state not in REPORTABLE:
        raise not_found("delivery dispatched to you", delivery_id)
    return delivery, row


@blp.route("/deliveries/<delivery_id>/events", methods=["POST"])
@blp.doc(summary="Report a status (or a POD by reference) on a delivery dispatched to you",
         description="Applied now: 409 for an impossible move (with the reason), 422 for `delivered` when the "
         "delivery's required proof is not on record; 409 clock_ahead for a report dated more than 5 minutes "
         "ahead. 404 for a "
         "delivery not dispatched to you." + CARRIER_ONLY)
@blp.arguments(ReportBody)
@blp.response(200, ReportAnswer)
@require_role("carrier")
def carrier_event(body: dict[str, Any], delivery_id: str) -> dict[str, Any]:
    _valid_report(body, clock=False)  # the time is checked against the hub's clock once the delivery is known
    with transaction(get_runtime().sessions) as session:
        delivery, assignment = _carrier_delivery(session, delivery_id)
        _valid_report(body)
        return apply_carrier_report(session, delivery, assignment, body)


def apply_carrier_report(session: Session, delivery: Delivery, assignment: Assignment,
                         body: dict[str, Any]) -> dict[str, Any]:
    """A carrier's validated report, applied now: 409 for an impossible move, 422 for a delivered without the
    required proof; the answer says whether it was late (recorded, status unchanged). A proof whose images
    are links (media_urls) is recorded once a job has downloaded them: the answer says so."""
    actor = {"kind": "carrier", "id": assignment.carrier_id}
    if body.get("media_urls"):
        apply_report(session, assignment, body, carrier_id=assignment.carrier_id or "")
        return {"delivery_id": delivery.id, "status": delivery.status, "event_id": None, "late": False,
                "fetching": body["media_urls"]}
    try:
        event = apply_to_delivery(session, delivery, body, actor)
    except PodRefused as exc:
        raise refused(exc) from None
    return {"delivery_id": delivery.id, "status": delivery.status, "event_id": event.id if event else None,
            "late": bool(event is not None and event.type == "delivery.status_reported_late")}


@blp.route("/deliveries/<delivery_id>/pod", methods=["POST"])
@blp.doc(summary="Complete a delivery dispatched to you with proof of delivery (multipart/form-data)",
         description="The same form as the driver API's complete. 415 for any other content type; 422 names what "
         "the delivery requires and is missing; 404 for a delivery not dispatched to you." + CARRIER_ONLY)
@blp.arguments(PodForm, location="files")
@blp.response(200, Completed)
@require_role("carrier")
@large_body
def carrier_pod(form: dict[str, Any], delivery_id: str) -> dict[str, Any]:
    pod = pod_from_form(form)
    with transaction(get_runtime().sessions) as session:
        delivery, _ = _carrier_delivery(session, delivery_id)
        actor = {"kind": "carrier", "id": current().subject_id}
        try:
            event = complete_with_pod(session, media_store(get_runtime().config), delivery, pod, actor=actor,
                                      holder=actor)
        except PodRefused as exc:
            raise refused(exc) from None
        return completed(delivery, event)


def _valid_report(body: dict[str, Any], clock: bool = True) -> None:
    """422 naming the fields when the report does not match the canonical event schemas; with clock, 409 when
    it is dated too far ahead of the hub's clock (well-formed, but the sender's clock disagrees with the hub's)."""
    errors = validate_report(body)
    if errors:
        raise ApiError(422, "validation_failed", "the report does not match the canonical event format",
                       field_errors(errors))
    if clock and (ahead := clock_errors(body, utcnow())):
        raise ApiError(409, "clock_ahead", "the report is dated ahead of the hub's clock: send the time it "
                       "happened, with its UTC offset", field_errors(ahead))
