"""Service recovery for operators: act on a failed delivery (reschedule, re-assign, return), and the tenant's
recovery policy that the hub applies on its own after a failed attempt (schemas/recovery_policy.v1.json)."""

from __future__ import annotations

from typing import Any

from flask_smorest import Blueprint

from hub.api.auth import actor, current, require_role
from hub.api.deliveries import load_delivery
from hub.api.errors import ApiError, field_errors
from hub.api.requests import json_body
from hub.canonical.fields import parse_aware_timestamp
from hub.canonical.validation import RFC3339
from hub.db.engine import transaction
from hub.runtime import get_runtime
from hub.tracking.recovery import TARGET_STATUS, RecoveryError, apply_recovery, load_policy, save_policy

blp = Blueprint("recovery", __name__, url_prefix="/api/v1", description="Service recovery after failed attempts")


def _bad(path: str, message: str) -> ApiError:
    return ApiError(422, "validation_failed", message, [{"path": path, "message": message}])


def _window(value: Any) -> dict[str, str] | None:
    if value is None:
        return None
    if not isinstance(value, dict) or not value or set(value) - {"start", "end"}:
        raise _bad("$.window", 'window must be {"start", "end"} (RFC 3339 times with an offset)')
    for key, text in value.items():
        if not isinstance(text, str) or not RFC3339.match(text) or parse_aware_timestamp(text) is None:
            raise _bad(f"$.window.{key}", "must be an RFC 3339 time with an offset, e.g. 2025-03-15T09:00:00+01:00")
    if "start" in value and "end" in value and parse_aware_timestamp(value["end"]) < parse_aware_timestamp(value["start"]):  # type: ignore[operator]
        raise _bad("$.window.end", "the window ends before it starts")
    return value


@blp.route("/deliveries/<delivery_id>/recovery", methods=["POST"])
@blp.doc(summary="Recover a failed delivery (operator)",
         description='Body: {"action": "reschedule" | "reassign" | "return", "window"?: {"start", "end"}, "note"?}. '
         "reschedule without a window takes the policy's next window. Recorded as a delivery.recovery event "
         "decided by you. 409 when the delivery's status does not allow the move.")
@require_role("admin")
def recover(delivery_id: str) -> dict[str, Any]:
    body, _ = json_body()
    if not isinstance(body, dict):
        raise _bad("$", "the body must be a JSON object")
    action = body.get("action")
    if action not in TARGET_STATUS:
        raise _bad("$.action", f"action must be one of {', '.join(TARGET_STATUS)}")
    window = _window(body.get("window"))
    if window is not None and action != "reschedule":
        raise _bad("$.window", "a window goes only with action reschedule")
    note = body.get("note", "")
    if not isinstance(note, str):
        raise _bad("$.note", "must be a string")
    caller = current()
    with transaction(get_runtime().sessions) as session:
        delivery = load_delivery(session, delivery_id)
        try:
            event = apply_recovery(session, delivery, action, decided_by={"kind": "operator", "id": caller.key_id},
                                   actor=actor(), window=window, policy=load_policy(session, caller.tenant_id),
                                   note=note.strip())
        except RecoveryError as exc:
            raise ApiError(exc.status, exc.code, exc.message) from None
        return {"delivery_id": delivery.id, "status": delivery.status, "recovery_event_id": event.id,
                "recovery": event.data}


@blp.route("/settings/recovery-policy", methods=["GET"])
@blp.doc(summary="The recovery policy in force (the built-in default until one is saved)")
@require_role("admin", "integration")
def get_recovery_policy() -> dict[str, Any]:
    with get_runtime().sessions() as session:
        return load_policy(session, current().tenant_id)


@blp.route("/settings/recovery-policy", methods=["PUT"])
@blp.doc(summary="Replace the recovery policy",
         description="The body is a recovery_policy.v1 document (schemas/recovery_policy.v1.json); 422 names each "
         "bad field.")
@require_role("admin")
def put_recovery_policy() -> dict[str, Any]:
    doc, _ = json_body()
    with transaction(get_runtime().sessions) as session:
        errors = save_policy(session, current().tenant_id, doc)
        if errors:
            raise ApiError(422, "validation_failed", "the document does not match recovery_policy.v1",
                           field_errors(errors))
        return doc  # type: ignore[no-any-return]
