"""Service recovery for operators: act on a failed delivery (reschedule, re-assign, return), and the tenant's
recovery policy that the hub applies on its own after a failed attempt (schemas/recovery_policy.v1.json)."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from hub.api.auth import actor, current, require_role
from hub.api.declare import AsSent, AsStored, Blueprint, StoredDocument
from hub.api.deliveries import load_delivery
from hub.api.errors import ApiError, field_errors
from hub.canonical.delivery import WindowSchema
from hub.canonical.event_payloads import DeliveryRecoverySchema
from hub.canonical.fields import parse_aware_timestamp
from hub.canonical.recovery import RecoveryPolicySchema
from hub.canonical.statuses import transitions
from hub.db.engine import transaction
from hub.runtime import get_runtime
from hub.tracking.recovery import TARGET_STATUS, RecoveryError, apply_recovery, load_policy, save_policy

blp = Blueprint("recovery", __name__, url_prefix="/api/v1", description="Service recovery after failed attempts")


class RecoveryBody(AsSent, Schema):
    """What to do with a failed delivery; the window is kept as sent (RFC 3339 with its offset)."""

    class Meta:
        # A window goes only with reschedule (JSON Schema, so clients and fuzzers see the rule).
        openapi = {"anyOf": [{"properties": {"action": {"const": "reschedule"}}},
                             {"not": {"required": ["window"]}}]}

    action = fields.String(required=True, validate=validate.OneOf(list(TARGET_STATUS)))
    window = fields.Nested(WindowSchema, metadata={"description": "Only with reschedule; without one, reschedule "
                                                   "takes the policy's next window"})
    note = fields.String(validate=validate.Length(max=2000))

    @validates_schema
    def _window_only_to_reschedule(self, data: dict[str, Any], **kwargs: Any) -> None:
        if "window" in data and data.get("action") != "reschedule":
            raise ValidationError("a window goes only with action reschedule", "window")


class RecoveryAnswer(Schema):
    delivery_id = fields.String(required=True)
    status = fields.String(required=True, validate=validate.OneOf(sorted(transitions())))
    recovery_event_id = fields.String(required=True)
    recovery = AsStored(DeliveryRecoverySchema, required=True,
                        metadata={"description": "The data of the delivery.recovery event recorded"})


class RecoveryPolicyBody(AsSent, RecoveryPolicySchema):
    """A recovery_policy.v1 document (schemas/recovery_policy.v1.json), stored as sent."""


class RecoveryPolicyDocument(StoredDocument, RecoveryPolicySchema):
    """The recovery policy as stored (schemas/recovery_policy.v1.json)."""


def _window_in_order(window: dict[str, str] | None) -> None:
    """A window's end may not come before its start: a rule between two values that no schema states."""
    if window and "start" in window and "end" in window and \
            parse_aware_timestamp(window["end"]) < parse_aware_timestamp(window["start"]):  # type: ignore[operator]
        raise ApiError(422, "validation_failed", "the window ends before it starts",
                       [{"path": "$.window.end", "message": "the window ends before it starts"}])


@blp.route("/deliveries/<delivery_id>/recovery", methods=["POST"])
@blp.doc(summary="Recover a failed delivery (operator)",
         description="reschedule without a window takes the policy's next window; a window goes only with "
         "reschedule, and may not end before it starts (422). Recorded as a delivery.recovery event decided by "
         "you. 409 when the delivery's status does not allow the move.")
@blp.arguments(RecoveryBody)
@blp.response(200, RecoveryAnswer)
@require_role("admin")
def recover(body: dict[str, Any], delivery_id: str) -> dict[str, Any]:
    caller = current()
    with transaction(get_runtime().sessions) as session:
        delivery = load_delivery(session, delivery_id)
        _window_in_order(body.get("window"))
        try:
            event = apply_recovery(session, delivery, body["action"],
                                   decided_by={"kind": "operator", "id": caller.key_id}, actor=actor(),
                                   window=body.get("window"), policy=load_policy(session, caller.tenant_id),
                                   note=body.get("note", "").strip())
        except RecoveryError as exc:
            raise ApiError(exc.status, exc.code, exc.message) from None
        return {"delivery_id": delivery.id, "status": delivery.status, "recovery_event_id": event.id,
                "recovery": event.data}


@blp.route("/settings/recovery-policy", methods=["GET"])
@blp.doc(summary="The recovery policy in force (the built-in default until one is saved)")
@blp.response(200, RecoveryPolicyDocument)
@require_role("admin", "integration")
def get_recovery_policy() -> dict[str, Any]:
    with get_runtime().sessions() as session:
        return load_policy(session, current().tenant_id)


@blp.route("/settings/recovery-policy", methods=["PUT"])
@blp.doc(summary="Replace the recovery policy",
         description="The body is a recovery_policy.v1 document (schemas/recovery_policy.v1.json); 422 names each "
         "bad field.")
@blp.arguments(RecoveryPolicyBody)
@blp.response(200, RecoveryPolicyDocument)
@require_role("admin")
def put_recovery_policy(doc: dict[str, Any]) -> dict[str, Any]:
    with transaction(get_runtime().sessions) as session:
        errors = save_policy(session, current().tenant_id, doc)  # the JSON Schema is the contract
        if errors:
            raise ApiError(422, "validation_failed", "the document does not match recovery_policy.v1",
                           field_errors(errors))
        return doc
