"""API keys (admin keys only): mint one for an integration, a carrier or a driver, list, revoke (hub/ledger/keys.py)."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from hub.api.auth import current, require_role
from hub.api.declare import Blueprint
from hub.api.errors import ApiError, not_found
from hub.db.engine import transaction
from hub.db.models import ApiKey, Tenant
from hub.ledger.keys import SUBJECTS, KeyRefused, describe, list_keys, mint_key, revoke_key
from hub.ledger.tenants import ROLES
from hub.runtime import get_runtime

blp = Blueprint("keys", __name__, url_prefix="/api/v1/keys", description="API keys")

TENANT_ROLES = sorted(set(ROLES) - set(SUBJECTS))
SUBJECT_ROLES = sorted(SUBJECTS)


class KeyBody(Schema):
    """Carrier and driver keys speak for one subject (its id in subject_id); admin and integration keys for the
    whole tenant (no subject)."""

    class Meta:
        # The rule between role and subject_id, as JSON Schema states it for clients and fuzzers.
        openapi = {"oneOf": [
            {"properties": {"role": {"enum": TENANT_ROLES}, "subject_id": {"type": "null"}}},
            {"properties": {"role": {"enum": SUBJECT_ROLES}, "subject_id": {"type": "string", "minLength": 1}},
             "required": ["subject_id"]},
        ]}

    role = fields.String(required=True, validate=validate.OneOf(ROLES, error="unknown role {input!r}; roles are {choices}"))
    subject_id = fields.String(allow_none=True, metadata={"description": "The carrier or driver id (carrier and "
                                                                         "driver keys only)"})
    label = fields.String(allow_none=True)

    @validates_schema
    def _subject_matches_role(self, data: dict[str, Any], **kwargs: Any) -> None:
        role, subject = data.get("role"), data.get("subject_id")
        if role in SUBJECTS and not subject:
            raise ValidationError(f"a {role} key speaks for one {role}: give its id", "subject_id")
        if role not in SUBJECTS and subject is not None:
            raise ValidationError(f"a {role} key speaks for the whole tenant and takes no subject", "subject_id")


class KeySchema(Schema):
    id = fields.String(required=True)
    role = fields.String(required=True, validate=validate.OneOf(ROLES, error="unknown role {input!r}; roles are {choices}"))
    subject_id = fields.String(required=True, allow_none=True)
    label = fields.String(required=True, allow_none=True)
    prefix = fields.String(required=True, metadata={"description": "The key's first characters, to recognise it"})
    created_at = fields.String(required=True, allow_none=True, metadata={"format": "date-time"})
    last_used_at = fields.String(required=True, allow_none=True, metadata={"format": "date-time"})
    revoked_at = fields.String(required=True, allow_none=True, metadata={"format": "date-time"})
    active = fields.Boolean(required=True)


class MintedKey(KeySchema):
    key = fields.String(required=True, metadata={"description": "The key itself: shown this once"})


class KeyList(Schema):
    items = fields.List(fields.Nested(KeySchema), required=True)


@blp.route("", methods=["POST"])
@blp.doc(summary="Mint a key (shown once)", description='Body: {"role": "integration" | "carrier" | "driver" | '
         '"admin", "subject_id": the carrier or driver id (carrier and driver keys only), "label"?}. 201 with the '
         "key in `key`: it is never shown again. 404 when the subject is not a carrier or driver of this tenant.")
@blp.arguments(KeyBody)
@blp.response(201, MintedKey)
@require_role("admin")
def create_key(body: dict[str, Any]) -> dict[str, Any]:
    with transaction(get_runtime().sessions) as session:
        try:
            row, plaintext = mint_key(session, session.get(Tenant, current().tenant_id), body["role"],
                                      subject_id=body.get("subject_id"), label=body.get("label") or "")
        except KeyRefused as exc:  # the body is well formed (the schema said so): the subject is not here
            raise ApiError(404, "not_found", str(exc), [{"path": "$.subject_id", "message": str(exc)}]) from None
        return {**describe(row), "key": plaintext}


@blp.route("", methods=["GET"])
@blp.doc(summary="This tenant's keys, with their last use (never the keys themselves)")
@blp.response(200, KeyList)
@require_role("admin")
def index() -> dict[str, Any]:
    with get_runtime().sessions() as session:
        return {"items": [describe(k) for k in list_keys(session, current().tenant_id)]}


@blp.route("/<key_id>", methods=["GET"])
@blp.doc(summary="One key (never the key itself)")
@blp.response(200, KeySchema)
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
@blp.response(200, KeySchema)
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
