"""Assignment decisions (why a delivery went where it went) and operator re-assignment."""

from __future__ import annotations

from typing import Any

from flask import request
from flask_smorest import Blueprint
from sqlalchemy import select

from hub.api.auth import current, require_role
from hub.api.deliveries import load_delivery
from hub.api.errors import ApiError
from hub.api.requests import json_body
from hub.assignment.recording import OPERATOR_ASSIGNABLE, assign_and_record
from hub.db.engine import transaction
from hub.db.models import utcnow
from hub.db.models.fleet import Assignment
from hub.runtime import get_runtime

blp = Blueprint("assignment", __name__, url_prefix="/api/v1/deliveries", description="Assignment decisions")


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
