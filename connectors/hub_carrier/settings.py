"""Installation settings of a carrier that speaks the hub's own carrier protocol (docs/carriers.md)."""

from __future__ import annotations

import base64
import binascii

from marshmallow import Schema, ValidationError, fields, validate


def _whsec(value: str) -> None:
    if not value.startswith("whsec_"):
        raise ValidationError("must start with 'whsec_' (a Standard Webhooks secret)")
    try:
        raw = base64.b64decode(value[len("whsec_"):] + "==", validate=False)
    except (binascii.Error, ValueError):
        raise ValidationError("must be 'whsec_' followed by base64") from None
    if not 24 <= len(raw) <= 64:  # the Standard Webhooks spec: 24 to 64 random bytes
        raise ValidationError("must hold 24 to 64 bytes of base64 after 'whsec_'")


class HubCarrierSettings(Schema):
    endpoint_url = fields.Url(required=True, schemes={"http", "https"}, require_tld=False, metadata={
        "description": "Where the hub POSTs job offers and cancellations (the carrier's receiving URL)."})
    secret = fields.String(required=True, validate=_whsec, metadata={
        "secret": True, "description": "Shared Standard Webhooks secret (whsec_...): the hub signs what it sends "
        "with it, and the carrier signs its status and proof-of-delivery reports with it."})
    # How long the carrier has to answer a job offer before it goes to the next candidate (the carrier
    # row's acceptance_timeout_s overrides this); offers are answered synchronously, seconds are plenty.
    acceptance_timeout_s = fields.Integer(load_default=30, validate=validate.Range(1, 300), metadata={
        "description": "Seconds the carrier has to answer a job offer."})
