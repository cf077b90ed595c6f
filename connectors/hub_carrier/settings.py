"""Installation settings of a carrier that speaks the hub's own carrier protocol (docs/carriers.md)."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from hub.plugins import STANDARD_WEBHOOKS_SECRET, Pattern, WebUrl


class HubCarrierSettings(Schema):
    endpoint_url = WebUrl(required=True, schemes={"http", "https"}, require_tld=False, metadata={
        "description": "Where the hub POSTs job offers and cancellations (the carrier's receiving URL)."})
    secret = fields.String(required=True, validate=Pattern(STANDARD_WEBHOOKS_SECRET, error="must be 'whsec_' followed by base64 of 24 to 64 "
                    "bytes (a Standard Webhooks secret)"), metadata={
        "secret": True, "description": "Shared Standard Webhooks secret (whsec_...): the hub signs what it sends "
        "with it, and the carrier signs its status and proof-of-delivery reports with it."})
    # How long the carrier has to answer a job offer before it goes to the next candidate (the carrier
    # row's acceptance_timeout_s overrides this); offers are answered synchronously, seconds are plenty.
    acceptance_timeout_s = fields.Integer(load_default=30, validate=validate.Range(1, 300), metadata={
        "description": "Seconds the carrier has to answer a job offer."})
