"""The tenant's tracking-page settings (admin keys): branding, how long links live after the delivery ends, how
close the driver must be before the customer sees the position, and an optional map tile server."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields

from hub.api.auth import current, require_role
from hub.api.declare import Blueprint
from hub.api.errors import ApiError, field_errors
from hub.db.engine import transaction
from hub.runtime import get_runtime
from hub.tracking.page_settings import (
    PageSettings,
    TrackingPageSettingsSchema,
    load_page_settings,
    save_page_settings,
)

blp = Blueprint("tracking_page", __name__, url_prefix="/api/v1/settings", description="The customers' tracking page")


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
