"""Assignment decisions (why a delivery went where it went) and operator re-assignment."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields, validate
from sqlalchemy import select

from hub.api.auth import current, require_role
from hub.api.declare import Blueprint
from hub.api.deliveries import load_delivery
from hub.api.errors import ApiError
from hub.assignment.recording import OPERATOR_ASSIGNABLE, assign_and_record
from hub.canonical.fields import Timestamp
from hub.db.engine import transaction
from hub.db.models import utcnow
from hub.db.models.fleet import Assignment
from hub.runtime import get_runtime

blp = Blueprint("assignment", __name__, url_prefix="/api/v1/deliveries", description="Assignment decisions")


class Decision(Schema):
    """One assignment attempt with the engine's explanation."""

    id = fields.String(required=True)
    attempt = fields.Integer(required=True, metadata={"description": "1, 2, ... after rejections and re-assignments"})
    state = fields.String(required=True, metadata={"description": "proposed, dispatched (waiting for the carrier), "
                                                   "accepted, rejected, timed_out, own_fleet, none, superseded"})
    capacity = fields.String(required=True, metadata={"description": "own_fleet, carrier or none"})
    candidate_id = fields.String(required=True, allow_none=True, metadata={"description": "The depot or carrier chosen"})
    depot_id = fields.String(required=True, allow_none=True)
    carrier_id = fields.String(required=True, allow_none=True)
    job_id = fields.String(required=True, allow_none=True, metadata={"description": "The carrier job's id"})
    external_ref = fields.String(required=True, allow_none=True, metadata={"description": "The carrier's reference"})
    reason = fields.String(required=True)
    policy_version = fields.Integer(required=True)
    decision = fields.Dict(required=True, metadata={"description": "Every candidate: the rule that excluded it, or "
                                                    "its score parts (cost, eta, rating, quality) and rank"})
    created_at = Timestamp(required=True, allow_none=True)


class DecisionWithHistory(Decision):
    history = fields.List(fields.Nested(Decision), required=True, metadata={"description": "Earlier attempts, newest first"})


class Reassignment(Schema):
    exclude = fields.List(fields.String(validate=validate.Length(min=1)),
                          metadata={"description": "Depot or carrier ids to leave out this time"})
    reason = fields.String(metadata={"description": "Shown as why the excluded candidates were left out"})


def assignment_out(row: Assignment) -> dict[str, Any]:
    return {"id": row.id, "attempt": row.attempt, "state": row.state, "capacity": row.capacity,
            "candidate_id": row.candidate_id, "depot_id": row.depot_id, "carrier_id": row.carrier_id,
            "job_id": row.job_id, "external_ref": row.external_ref, "reason": row.reason,
            "policy_version": row.policy_version, "decision": row.decision, "created_at": row.created_at}


@blp.route("/<delivery_id>/assignment", methods=["GET"])
@blp.doc(summary="Who takes this delivery and why",
         description="The latest decision first, with every candidate: the rule that excluded it, or its score "
         "parts (cost, eta, rating, quality) and rank. `history` holds earlier attempts (rejections, re-assignments). "
         "404 until the delivery has been assigned.")
@blp.response(200, DecisionWithHistory)
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
         description="Excluded candidates appear in the decision as excluded by availability with your reason. "
         "409 when the delivery is past the point where it can be re-assigned (picked up or later), or when no "
         "depot or carrier is set up.")
@blp.arguments(Reassignment, required=False)
@blp.response(200, Decision, description="The new decision")
@require_role("admin")
def reassign(body: dict[str, Any], delivery_id: str) -> dict[str, Any]:
    caller = current()
    reason = body.get("reason") or "excluded by an operator"
    with transaction(get_runtime().sessions) as session:
        delivery = load_delivery(session, delivery_id)
        if delivery.status not in OPERATOR_ASSIGNABLE:
            raise ApiError(409, "not_reassignable", f"a delivery that is {delivery.status!r} cannot be re-assigned",
                           [{"path": "$.status", "message": f"allowed from: {', '.join(sorted(OPERATOR_ASSIGNABLE))}"}])
        row = assign_and_record(session, delivery, utcnow(), actor={"kind": "operator", "id": caller.key_id},
                                trigger="operator", trigger_id=f"operator:{utcnow().isoformat()}", operator=True,
                                exclude={c: reason for c in body.get("exclude", [])})
        if row is None:
            raise ApiError(409, "no_capacity", "no depot or carrier is set up for this tenant")
        return assignment_out(row)
