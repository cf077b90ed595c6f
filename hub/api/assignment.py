"""Assignment decisions (why a delivery went where it went), operator re-assignment, and the carrier API:
a carrier's own jobs and its status / proof-of-delivery reports."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from flask import g, request
from flask_smorest import Blueprint
from sqlalchemy import select

from hub.api.auth import Caller, current, require_role
from hub.api.deliveries import load_delivery
from hub.api.driver import apply_carrier_report
from hub.api.errors import ApiError, field_errors, not_found
from hub.api.requests import json_body
from hub.assignment.recording import OPERATOR_ASSIGNABLE, assign_and_record
from hub.carriers.exchange import REPORTABLE, build_job, clock_errors, find_job, validate_report
from hub.db.engine import transaction
from hub.db.models import Delivery, Installation, utcnow
from hub.db.models.fleet import Assignment, Carrier
from hub.ledger.installations import connector_for
from hub.ledger.tenants import authenticate
from hub.plugins.capabilities import require, supports
from hub.plugins.spec import Headers, InboundRequest
from hub.runtime import get_runtime

blp = Blueprint("assignment", __name__, url_prefix="/api/v1/deliveries", description="Assignment decisions")
carrier_blp = Blueprint("carrier", __name__, url_prefix="/api/v1/carrier",
                        description="For carriers: their jobs, and status and proof of delivery back")


def assignment_out(row: Assignment) -> dict[str, Any]:
    return {"id": row.id, "attempt": row.attempt, "state": row.state, "capacity": row.capacity,
            "candidate_id": row.candidate_id, "depot_id": row.depot_id, "carrier_id": row.carrier_id,
            "job_id": row.job_id, "external_ref": row.external_ref, "reason": row.reason,
            "policy_version": row.policy_version, "decision": row.decision,
            "created_at": row.created_at.isoformat() if row.created_at else None}


@blp.route("/<delivery_id>/assignment", methods=["GET"])
@blp.doc(summary="Who takes this delivery and why",
         description="The latest decision first, with every candidate: the rule that excluded it, or its score "
         "parts (cost, eta, rating, quality) and rank. `history` holds earlier attempts (rejections, re-assignments).")
@require_role("admin", "integration")
def get_assignment(delivery_id: str) -> dict[str, Any]:
    with get_runtime().sessions() as session:
        load_delivery(session, delivery_id)
        rows = session.execute(select(Assignment).where(Assignment.delivery_id == delivery_id)
                               .order_by(Assignment.attempt.desc())).scalars().all()
        if not rows:
            raise ApiError(404, "not_found", "this delivery has not been assigned yet")
        return {**assignment_out(rows[0]), "history": [assignment_out(r) for r in rows[1:]]}


@blp.route("/<delivery_id>/reassign", methods=["POST"])
@blp.doc(summary="Run the assignment again (operator)",
         description='Body (optional): {"exclude": ["car_...", "dep_..."], "reason": "..."}. Excluded candidates '
         "appear in the decision as excluded by availability with your reason. 409 when the delivery is past "
         "the point where it can be re-assigned (picked up or later).")
@require_role("admin")
def reassign(delivery_id: str) -> dict[str, Any]:
    body: dict[str, Any] = {}
    if request.get_data():
        body, _ = json_body()
        bad = not isinstance(body, dict) or not isinstance(body.get("exclude", []), list) \
            or not isinstance(body.get("reason", ""), str)
        if bad:
            raise ApiError(422, "validation_failed", 'the body must be {"exclude": [ids], "reason": "..."}',
                           [{"path": "$", "message": "exclude must be a list of ids, reason a string"}])
    caller = current()
    reason = body.get("reason") or "excluded by an operator"
    with transaction(get_runtime().sessions) as session:
        delivery = load_delivery(session, delivery_id)
        if delivery.status not in OPERATOR_ASSIGNABLE:
            raise ApiError(409, "not_reassignable", f"a delivery that is {delivery.status!r} cannot be re-assigned",
                           [{"path": "$.status", "message": f"allowed from: {', '.join(sorted(OPERATOR_ASSIGNABLE))}"}])
        row = assign_and_record(session, delivery, utcnow(), actor={"kind": "operator", "id": caller.key_id},
                                trigger="operator", trigger_id=f"operator:{utcnow().isoformat()}", operator=True,
                                exclude={str(c): reason for c in body.get("exclude", [])})
        if row is None:
            raise ApiError(409, "no_capacity", "no depot or carrier is set up for this tenant")
        return assignment_out(row)


# ---- the carrier API ------------------------------------------------------------------------------------

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


@carrier_blp.route("/jobs", methods=["GET"])
@carrier_blp.doc(summary="Your jobs (carrier key): the ones you accepted and not yet finished")
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


@carrier_blp.route("/jobs/<job_id>/status", methods=["POST"])
@carrier_blp.doc(summary="Report status or proof of delivery for one of your jobs",
                 description='Body: {"type": "delivery.status_changed" | "delivery.pod_captured", "occurred_at": '
                 '"...", "data": {...}} with data per schemas/events/status_changed.v1.json or pod_captured.v1.json. '
                 "Authenticate with your carrier key (Authorization: Bearer) or sign with Standard Webhooks using "
                 "the secret of your installation. Applied now: 200 with the delivery's status, 409 for a move "
                 "the status machine does not allow (or a job no longer yours), 422 for a delivered without the "
                 "proof the delivery requires. Another carrier's job is 404.",
                 security=[])
def report(job_id: str) -> dict[str, Any]:
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
    body, _ = json_body()
    errors = validate_report(body) or clock_errors(body, utcnow())
    if errors:
        raise ApiError(422, "validation_failed", "the report does not match the canonical event format",
                       field_errors(errors))
    with transaction(get_runtime().sessions) as session:
        assignment = find_job(session, job_id)
        if assignment is None or assignment.state not in REPORTABLE:
            state = assignment.state if assignment else "gone"
            raise ApiError(409, "job_closed", f"job {job_id} is {state}: it is not yours to report on any more")
        delivery = session.get(Delivery, assignment.delivery_id)
        return apply_carrier_report(session, delivery, assignment, body)
