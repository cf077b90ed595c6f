"""What an owner types when installing Acme Orders: the webhook secret and a fallback country."""

from __future__ import annotations

from marshmallow import Schema, fields, validate


class AcmeSettings(Schema):
    """Installation settings. ``webhook_secret`` is secret: the hub redacts it everywhere."""

    webhook_secret = fields.String(
        required=True,
        validate=validate.Length(min=16),  # Acme issues 32-character secrets; 16 refuses obvious placeholders
        metadata={"secret": True, "description": "Signing secret from Acme's webhook settings page."},
    )
    default_country = fields.String(
        load_default="US",
        validate=validate.Regexp(r"^[A-Z]{2}$", error="Use an ISO 3166-1 alpha-2 code such as US or DE."),
        metadata={"description": "Country for addresses that arrive without one."},
    )
