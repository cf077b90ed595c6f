"""The tenant's settings for its customers' tracking page (tenants.settings["tracking_page"]), read with defaults.

Defined here, below the web rooms, so the customer page (hub/customer) and the settings API (hub/api) share one
schema. An invalid stored value falls back to its default: a page must never fail on a tenant's typo.
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from marshmallow import RAISE, Schema, ValidationError, fields, validate, validates_schema
from sqlalchemy.orm import Session

from hub.canonical.fields import StrictInteger
from hub.canonical.validation import FieldError, marshmallow_field_errors
from hub.db.models import Tenant
from hub.plugins.settings import VISIBLE, Pattern

SETTINGS_KEY = "tracking_page"
# A week covers "where is the parcel my neighbour took?" questions; after that the link shows nothing.
DEFAULT_LINK_DAYS_AFTER_END = 7
# Three stops is about a quarter of an hour in town: close enough that the position helps the customer
# get to the door, far enough out that it does not reveal where the driver's other customers live.
DEFAULT_POSITION_WITHIN_STOPS = 3
DEFAULT_COLOUR = "#1f5fbf"
COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")
# A logo is a few KB; a larger upload is a photo, not a logo, and would weigh down every page view.
MAX_LOGO_BYTES = 64 * 1024
LOGO_TYPES = frozenset({"image/png", "image/jpeg", "image/webp", "image/gif"})


@dataclass(frozen=True)
class PageSettings:
    brand_name: str
    colour: str = DEFAULT_COLOUR
    logo_url: str | None = None
    logo: tuple[str, bytes] | None = None  # an uploaded logo: (content type, bytes), served by the hub
    support_contact: str | None = None
    link_days_after_end: int = DEFAULT_LINK_DAYS_AFTER_END
    position_within_stops: int = DEFAULT_POSITION_WITHIN_STOPS
    tile_url: str | None = None  # e.g. https://tiles.example/{z}/{x}/{y}.png; None: the hub draws no tiles

    def extra_image_origins(self) -> list[str]:
        """Origins the page's Content-Security-Policy must allow images from (a logo URL, the tile server)."""
        return sorted({origin(u) for u in (self.logo_url, self.tile_url) if u})


def origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


# The rules as patterns, so the OpenAPI document states each one (hub/api/tracking_page.py declares this schema).
# No spaces or control characters: the same set in Python and JavaScript (hub.plugins.settings.VISIBLE).
_URL_CHAR = VISIBLE.replace("[^", "[^'\"<>\\[\\]", 1)
HTTP_URL = rf"^https?://(?![/?#]){_URL_CHAR}+$"
TILE_URL = r"^(?=.*\{z\})(?=.*\{x\})(?=.*\{y\})" + HTTP_URL[1:]
BASE64 = r"^([A-Za-z0-9+/]{4})*([A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$"


class TrackingPageSettingsSchema(Schema):
    """What an admin stores (tenants.settings["tracking_page"]); every field is optional and has a default."""

    class Meta:
        unknown = RAISE
        openapi = {"dependentRequired": {"logo_base64": ["logo_content_type"]}}

    brand_name = fields.String(validate=[validate.Length(min=1, max=80),
                                         Pattern(r"^[\t-\r ]*[^\t-\r ][\s\S]*$", error="must not be blank")],
                               metadata={"description": "Shown in the page's header. Default: the tenant's name."})
    colour = fields.String(validate=Pattern(COLOUR.pattern, error="must be a colour like #1f5fbf"),
                           metadata={"description": "The header's colour, #rrggbb. Default: #1f5fbf."})
    logo_url = fields.String(validate=Pattern(HTTP_URL, error="must be an http(s) URL"),
                             metadata={"description": "An http(s) URL of the logo (its origin is added to the page's "
                                       "img-src). Default: none."})
    logo_base64 = fields.String(validate=[Pattern(BASE64, error="must be base64"),
                                          validate.Length(min=4, max=(MAX_LOGO_BYTES + 2) // 3 * 4)],
                                metadata={"description": "An uploaded logo (PNG, JPEG, WebP or GIF, at most 64 KB), "
                                          "base64; served by the hub at /t/<token>/logo."})
    logo_content_type = fields.String(validate=validate.OneOf(sorted(LOGO_TYPES)),
                                      metadata={"description": "The uploaded logo's type, e.g. image/png."})
    support_contact = fields.String(validate=validate.Length(max=200),
                                    metadata={"description": "Email, phone or URL shown in the footer. Default: none."})
    link_days_after_end = StrictInteger(validate=validate.Range(0, 365), metadata={
        "description": "Days the link keeps working after the delivery ends (delivered, returned, cancelled). "
                       "Default: 7."})
    position_within_stops = StrictInteger(validate=validate.Range(0, 50), metadata={
        "description": "The driver's position shows only while the customer's stop is at most this many stops "
                       "away. Default: 3."})
    tile_url = fields.String(validate=Pattern(TILE_URL, error="must be an http(s) URL with {{z}}, {{x}} and {{y}}"),
                             metadata={"description": "A map tile server, https://.../{z}/{x}/{y}.png, drawn under "
                                       "the hub's own map. Default: none (the hub draws no tiles)."})

    @validates_schema
    def _logo_needs_its_type(self, data: dict[str, Any], **kwargs: Any) -> None:
        if data.get("logo_base64") and "logo_content_type" not in data:
            raise ValidationError("give the uploaded logo's type too", "logo_content_type")


def parse_settings(stored: Any, tenant_name: str) -> tuple[PageSettings, list[FieldError]]:
    """The settings a stored block gives, and what is wrong with it (each wrong field keeps its default)."""
    if not isinstance(stored, dict):
        return PageSettings(brand_name=tenant_name), ([] if stored is None else [FieldError("$", "must be an object")])
    try:
        good, errors = TrackingPageSettingsSchema().load(stored), []
    except ValidationError as exc:
        good = exc.valid_data if isinstance(exc.valid_data, dict) else {}
        errors = marshmallow_field_errors(exc.messages)
    logo = None
    if good.get("logo_base64") and good.get("logo_content_type"):  # the pattern checked it: it decodes
        logo = (good["logo_content_type"], base64.b64decode(good["logo_base64"]))
    settings = PageSettings(
        brand_name=(good.get("brand_name") or "").strip() or tenant_name,
        colour=good.get("colour", DEFAULT_COLOUR), logo_url=good.get("logo_url"), logo=logo,
        support_contact=(good.get("support_contact") or "").strip() or None,
        link_days_after_end=good.get("link_days_after_end", DEFAULT_LINK_DAYS_AFTER_END),
        position_within_stops=good.get("position_within_stops", DEFAULT_POSITION_WITHIN_STOPS),
        tile_url=good.get("tile_url"))
    return settings, errors


def load_page_settings(session: Session, tenant_id: str) -> PageSettings:
    tenant = session.get(Tenant, tenant_id)
    stored = (tenant.settings or {}).get(SETTINGS_KEY) if tenant else None
    return parse_settings(stored, tenant.name if tenant else "")[0]


def stored_page_settings(session: Session, tenant_id: str) -> dict[str, Any]:
    tenant = session.get(Tenant, tenant_id)
    stored = (tenant.settings or {}).get(SETTINGS_KEY) if tenant else None
    return dict(stored) if isinstance(stored, dict) else {}


def save_page_settings(session: Session, tenant_id: str, block: Any) -> list[FieldError]:
    """Validate and store the whole block; the errors instead (nothing stored) when it does not fit."""
    tenant = session.get(Tenant, tenant_id)
    _, errors = parse_settings(block, tenant.name)
    if errors:
        return errors
    tenant.settings = {**(tenant.settings or {}), SETTINGS_KEY: block}  # a new dict: JSON columns track assignment
    return []
