"""The tenant's tracking-page settings (admin keys): branding, how long links live after the delivery ends, how
close the driver must be before the customer sees the position, and an optional map tile server."""

from __future__ import annotations

from typing import Any

from marshmallow import RAISE, Schema, ValidationError, fields, validate, validates_schema

from hub.api.auth import current, require_role
from hub.api.declare import Blueprint
from hub.api.errors import ApiError, field_errors
from hub.canonical.fields import StrictInteger
from hub.db.engine import transaction
from hub.runtime import get_runtime
from hub.tracking.page_settings import (
    COLOUR,
    LOGO_TYPES,
    MAX_LOGO_BYTES,
    PageSettings,
    load_page_settings,
    save_page_settings,
)

blp = Blueprint("tracking_page", __name__, url_prefix="/api/v1/settings", description="The customers' tracking page")


# The rules of hub.tracking.page_settings as validators, so the OpenAPI document states each one.
HTTP_URL = r"^https?://[^'\" <>/?#\[\]\s]+[^'\" <>\[\]\s]*$"
TILE_URL = r"^(?=.*\{z\})(?=.*\{x\})(?=.*\{y\})" + HTTP_URL[1:]
BASE64 = r"^([A-Za-z0-9+/]{4})*([A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$"


class TrackingPageSettingsSchema(Schema):
    """What an admin stores (tenants.settings["tracking_page"]); every field is optional and has a default."""

    class Meta:
        unknown = RAISE
        openapi = {"dependentRequired": {"logo_base64": ["logo_content_type"]}}

    @validates_schema
    def _logo_needs_its_type(self, data: dict[str, Any], **kwargs: Any) -> None:
        if data.get("logo_base64") and "logo_content_type" not in data:
            raise ValidationError("give the uploaded logo's type too", "logo_content_type")

    brand_name = fields.String(validate=[validate.Length(min=1, max=80), validate.Regexp(r"\S", error="must not be blank")],
                               metadata={"description": "Shown in the page's header. Default: the tenant's name."})
    colour = fields.String(validate=validate.Regexp(COLOUR, error="must be a colour like #1f5fbf"),
                           metadata={"description": "The header's colour, #rrggbb. Default: #1f5fbf."})
    logo_url = fields.String(validate=validate.Regexp(HTTP_URL, error="must be an http(s) URL"), metadata={"description": "An http(s) URL of the logo (its origin is added to the "
                                                     "page's img-src). Default: none."})
    logo_base64 = fields.String(validate=[validate.Regexp(BASE64, error="must be base64"),
                                          validate.Length(min=4, max=(MAX_LOGO_BYTES + 2) // 3 * 4)], metadata={"description": "An uploaded logo (PNG, JPEG, WebP or GIF, at most 64 KB), "
                                                        "base64; served by the hub at /t/<token>/logo."})
    logo_content_type = fields.String(validate=validate.OneOf(sorted(LOGO_TYPES)), metadata={"description": "The uploaded logo's type, e.g. image/png."})
    support_contact = fields.String(validate=validate.Length(max=200), metadata={"description": "Email, phone or URL shown in the footer. Default: none."})
    link_days_after_end = StrictInteger(validate=validate.Range(0, 365), metadata={"description": "Days the link keeps working after the delivery "
                                                                 "ends (delivered, returned, cancelled). Default: 7."})
    position_within_stops = StrictInteger(validate=validate.Range(0, 50), metadata={"description": "The driver's position shows only while the "
                                                                   "customer's stop is at most this many stops "
                                                                   "away. Default: 3."})
    tile_url = fields.String(validate=validate.Regexp(TILE_URL, error="must be an http(s) URL with {{z}}, {{x}} and {{y}}"),
                             metadata={"description": "A map tile server, https://.../{z}/{x}/{y}.png, drawn under "
                                                     "the hub's own map. Default: none (the hub draws no tiles)."})


class EffectiveSettingsSchema(Schema):
    """The settings in force: what is stored, defaults for the rest."""

    brand_name = fields.String()
    colour = fields.String()
    logo_url = fields.String(allow_none=True)
    logo_uploaded = fields.Boolean()
    support_contact = fields.String(allow_none=True)
    link_days_after_end = fields.Integer()
    position_within_stops = fields.Integer()
    tile_url = fields.String(allow_none=True)


def effective(settings: PageSettings) -> dict[str, Any]:
    return {"brand_name": settings.brand_name, "colour": settings.colour, "logo_url": settings.logo_url,
            "logo_uploaded": settings.logo is not None, "support_contact": settings.support_contact,
            "link_days_after_end": settings.link_days_after_end,
            "position_within_stops": settings.position_within_stops, "tile_url": settings.tile_url}


@blp.route("/tracking-page", methods=["GET"])
@blp.doc(summary="The tracking page's settings in force (defaults filled in)")
@require_role("admin")
@blp.response(200, EffectiveSettingsSchema)
def show() -> dict[str, Any]:
    with get_runtime().sessions() as session:
        return effective(load_page_settings(session, current().tenant_id))


@blp.route("/tracking-page", methods=["PUT"])
@blp.doc(summary="Replace the tracking page's settings",
         description="The whole block: fields left out go back to their defaults. 422 names each wrong field.")
@require_role("admin")
@blp.arguments(TrackingPageSettingsSchema)
@blp.response(200, EffectiveSettingsSchema)
def replace(block: dict[str, Any]) -> dict[str, Any]:
    tenant_id = current().tenant_id
    with transaction(get_runtime().sessions) as session:
        errors = save_page_settings(session, tenant_id, block)
        if errors:
            raise ApiError(422, "validation_failed", "some tracking page settings are not valid", field_errors(errors))
    with get_runtime().sessions() as session:
        return effective(load_page_settings(session, tenant_id))
