"""Installation settings for Uber Direct (DaaS): API credentials, the webhook signing key, the pickup store."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from hub.plugins import WebUrl


class UberDirectSettings(Schema):
    customer_id = fields.String(required=True, validate=validate.Length(min=1), metadata={
        "description": "Your Uber Direct customer id (UUID or cus_...), from the Direct dashboard."})
    client_id = fields.String(required=True, validate=validate.Length(min=1), metadata={
        "description": "OAuth client id of your Direct API app."})
    client_secret = fields.String(required=True, validate=validate.Length(min=8), metadata={
        "secret": True, "description": "OAuth client secret of your Direct API app."})
    webhook_signing_key = fields.String(required=True, validate=validate.Length(min=8), metadata={
        "secret": True, "description": "Webhook signing key from the Direct dashboard (checks x-uber-signature)."})
    pickup_name = fields.String(required=True, validate=validate.Length(min=1), metadata={
        "description": "Store name the courier sees at pickup."})
    pickup_phone_number = fields.String(required=True, validate=validate.Length(min=5), metadata={
        "description": "Store phone number for the courier (E.164, e.g. +14165550100)."})
    api_url = WebUrl(load_default="https://api.uber.com/v1", require_tld=False, metadata={
        "description": "Direct API base URL."})
    auth_url = WebUrl(load_default="https://auth.uber.com/oauth/v2/token", require_tld=False, metadata={
        "description": "OAuth token URL (client credentials, scope eats.deliveries)."})
    # Uber answers create/quote within seconds; 30 s leaves room without holding a job for long.
    acceptance_timeout_s = fields.Integer(load_default=30, validate=validate.Range(1, 300), metadata={
        "description": "Seconds to wait for Uber's answer when creating a delivery."})
