"""API keys (admin keys only): mint one for an integration, a carrier or a driver, list, revoke (hub/ledger/keys.py)."""

from __future__ import annotations

from typing import Any

from flask_smorest import Blueprint

from hub.api.auth import current, require_role
from hub.api.errors import ApiError, not_found
from hub.api.requests import json_body
from hub.db.engine import transaction
from hub.db.models import ApiKey, Tenant
from hub.ledger.keys import KeyRefused, describe, list_keys, mint_key, revoke_key
from hub.runtime import get_runtime

blp = Blueprint("keys", __name__, url_prefix="/api/v1/keys", description="API keys")
FIELDS = {"role", "subject_id", "label"}


@blp.route("", methods=["POST"])
@blp.doc(summary="Mint a key (shown once)", description='Body: {"role": "integration" | "carrier" | "driver" | '
         '"admin", "subject_id": the carrier or driver id (carrier and driver keys only), "label"?}. 201 with the '
         "key in `key`: it is never shown again. 422 when the subject is missing or not in this tenant.")
@require_role("admin")
def create_key() -> tuple[dict[str, Any], int]:
    body, _ = json_body()
    if not isinstance(body, dict) or set(body) - FIELDS or not isinstance(body.get("role"), str) \
            or not all(isinstance(body.get(k, ""), (str, type(None))) for k in ("subject_id", "label")):
        raise ApiError(422, "validation_failed", "the body must be {role, subject_id?, label?} with strings",
                       [{"path": "$", "message": f"known fields: {', '.join(sorted(FIELDS))}; role is required"}])
    with transaction(get_runtime().sessions) as session:
        try:
            row, plaintext = mint_key(session, session.get(Tenant, current().tenant_id), body["role"],
                                      subject_id=body.get("subject_id"), label=body.get("label") or "")
        except KeyRefused as exc:
            raise ApiError(422, "validation_failed", str(exc), [{"path": "$", "message": str(exc)}]) from None
        return {**describe(row), "key": plaintext}, 201


@blp.route("", methods=["GET"])
@blp.doc(summary="This tenant's keys, with their last use (never the keys themselves)")
@require_role("admin")
def index() -> dict[str, Any]:
    with get_runtime().sessions() as session:
        return {"items": [describe(k) for k in list_keys(session, current().tenant_id)]}


@blp.route("/<key_id>", methods=["GET"])
@blp.doc(summary="One key (never the key itself)")
@require_role("admin")
def show(key_id: str) -> dict[str, Any]:
    with get_runtime().sessions() as session:
        row = session.get(ApiKey, key_id)
        if row is None or row.tenant_id != current().tenant_id:
            raise not_found("key", key_id)
        return describe(row)


@blp.route("/<key_id>", methods=["DELETE"])
@blp.doc(summary="Revoke a key for good", description="Its next request is refused (401). 409 for the tenant's "
         "last admin key.")
@require_role("admin")
def revoke(key_id: str) -> dict[str, Any]:
    with transaction(get_runtime().sessions) as session:
        row = session.get(ApiKey, key_id)
        if row is None or row.tenant_id != current().tenant_id:
            raise not_found("key", key_id)
        try:
            return describe(revoke_key(session, current().tenant_id, key_id))
        except KeyRefused as exc:
            raise ApiError(409, "last_admin_key", str(exc)) from None
