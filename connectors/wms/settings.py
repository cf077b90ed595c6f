"""What an owner types when connecting a warehouse: the signing secrets, the pick-by URL, the location."""

from __future__ import annotations

import base64
import binascii
from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates, validates_schema

from hub.plugins import STANDARD_WEBHOOKS_SECRET, Pattern, WebUrl

SECRET_PREFIX = "whsec_"
# Standard Webhooks secrets are 24 to 64 random bytes (spec, "Signature scheme"); fewer is guessable.
MIN_SECRET_BYTES, MAX_SECRET_BYTES = 24, 64
SECRET_ERROR = (f"Use a Standard Webhooks secret: {SECRET_PREFIX} followed by base64 of {MIN_SECRET_BYTES} to "
                f"{MAX_SECRET_BYTES} random bytes.")


def check_secret(value: str) -> None:
    """A Standard Webhooks symmetric secret: ``whsec_`` + base64 of 24-64 random bytes."""
    if not value.startswith(SECRET_PREFIX):
        raise ValidationError(f"Use a Standard Webhooks secret that starts with {SECRET_PREFIX}.")
    body = value[len(SECRET_PREFIX):]
    try:
        key = base64.b64decode(body + "=" * (-len(body) % 4), validate=True)
    except (binascii.Error, ValueError):
        raise ValidationError(f"After {SECRET_PREFIX} the secret must be base64.") from None
    if not MIN_SECRET_BYTES <= len(key) <= MAX_SECRET_BYTES:
        raise ValidationError(f"The secret must hold {MIN_SECRET_BYTES} to {MAX_SECRET_BYTES} random bytes, not {len(key)}.")


class WmsSettings(Schema):
    """Installation settings. Both secrets are redacted by the hub everywhere."""

    class Meta:
        # pick_by_secret with pick_by_url (_pick_by_pair), stated in the settings' JSON Schema.
        # No pick_by_url (left out or null), or a pick_by_secret that is a string (null is no secret).
        openapi = {"anyOf": [{"properties": {"pick_by_url": {"type": "null"}}},
                             {"required": ["pick_by_secret"], "properties": {"pick_by_secret": {"type": "string"}}}]}

    webhook_secret = fields.String(
        required=True, validate=Pattern(STANDARD_WEBHOOKS_SECRET, error=SECRET_ERROR),
        metadata={"secret": True, "description": "Secret the warehouse signs its webhooks with (whsec_..., Standard "
                  "Webhooks). Generate one with: python -c \"import os,base64;print('whsec_'+base64.b64encode(os.urandom(32)).decode())\""},
    )
    location_id = fields.String(
        load_default=None,
        validate=validate.Length(min=1, max=100),
        metadata={"description": "Id of this warehouse (its pickup location id in the hub), e.g. \"wh-berlin-1\"."},
    )
    pick_by_url = WebUrl(
        load_default=None,
        schemes={"https", "http"},
        require_tld=False,
        metadata={"description": "Optional: where the hub POSTs pick_by messages (when a delivery must be picked by)."},
    )
    pick_by_secret = fields.String(
        load_default=None, validate=Pattern(STANDARD_WEBHOOKS_SECRET, error=SECRET_ERROR),
        metadata={"secret": True, "description": "Secret the hub signs pick_by messages with (whsec_...); required "
                  "with pick_by_url. Use a different one than webhook_secret."},
    )

    @validates("webhook_secret")
    def _webhook_secret(self, value: str, **_: Any) -> None:
        check_secret(value)

    @validates("pick_by_secret")
    def _pick_by_secret(self, value: str | None, **_: Any) -> None:
        if value is not None:
            check_secret(value)

    @validates_schema
    def _pick_by_pair(self, data: dict[str, Any], **_: Any) -> None:
        if data.get("pick_by_url") and not data.get("pick_by_secret"):
            raise ValidationError("Set pick_by_secret together with pick_by_url.", field_name="pick_by_secret")
