"""A tenant's Twilio settings: the account and its auth token (which also signs every request Twilio makes to
the hub), and who the messages come from."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from hub.plugins.settings import Pattern, WebUrl

# Twilio's own API; a regional edge or (in tests and the demo) a local stand-in may replace it.
DEFAULT_API_BASE_URL = "https://api.twilio.com"


class TwilioSettings(Schema):
    class Meta:
        # Stated for the settings' JSON Schema (forms, the OpenAPI document) as _one_sender checks it.
        openapi = {"anyOf": [{"required": ["from_number"]}, {"required": ["messaging_service_sid"]}]}

    account_sid = fields.String(required=True, validate=Pattern(r"^AC[0-9a-fA-F]{32}$",
                                error="Not a Twilio account SID (AC followed by 32 hex digits)."),
                                metadata={"description": "The account's SID (AC...)"})
    auth_token = fields.String(required=True, validate=validate.Length(min=1),
                               metadata={"secret": True, "description": "The account's auth token: authenticates "
                                         "the hub's calls and signs Twilio's callbacks to the hub"})
    from_number = fields.String(validate=Pattern(r"^\+[1-9][0-9]{6,14}$", error="Not an E.164 number."),
                                metadata={"description": "The Twilio number messages come from (E.164)"})
    messaging_service_sid = fields.String(validate=Pattern(r"^MG[0-9a-fA-F]{32}$",
                                          error="Not a messaging service SID (MG...)."),
                                          metadata={"description": "Or a messaging service to send from"})
    api_base_url = WebUrl(load_default=DEFAULT_API_BASE_URL,
                          metadata={"description": "Twilio's API address (a regional edge, or a local stand-in)"})

    @validates_schema
    def _one_sender(self, data: dict[str, Any], **kwargs: Any) -> None:
        if not data.get("from_number") and not data.get("messaging_service_sid"):
            raise ValidationError("give from_number or messaging_service_sid", "from_number")
