"""The tenant's settings for its customers' tracking page (tenants.settings["tracking_page"]), read with defaults.

Read here, below the web rooms, so the customer page (hub/customer) and the settings API (hub/api) share one
definition. An invalid stored value falls back to its default: a page must never fail on a tenant's typo.
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy.orm import Session

from hub.canonical.validation import FieldError
from hub.db.models import Tenant

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
TILE_PLACEHOLDERS = ("{z}", "{x}", "{y}")


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


def _https_url(value: Any, path: str, errors: list[FieldError], *, tiles: bool = False) -> str | None:
    if value in (None, ""):
        return None
    try:
        parts = urlsplit(value) if isinstance(value, str) else None
    except ValueError:  # e.g. an unclosed IPv6 bracket
        parts = None
    if parts is None or parts.scheme not in ("https", "http") or not parts.netloc or any(c in value for c in "'\" <>"):
        errors.append(FieldError(path, "must be an http(s) URL"))
        return None
    if tiles and not all(p in value for p in TILE_PLACEHOLDERS):
        errors.append(FieldError(path, "must contain {z}, {x} and {y}, e.g. https://tiles.example/{z}/{x}/{y}.png"))
        return None
    return value


def _count(value: Any, default: int, path: str, errors: list[FieldError], low: int, high: int) -> int:
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        errors.append(FieldError(path, f"must be a whole number from {low} to {high}"))
        return default
    return value


def _logo(stored: dict[str, Any], errors: list[FieldError]) -> tuple[str, bytes] | None:
    data, content_type = stored.get("logo_base64"), stored.get("logo_content_type")
    if data in (None, ""):
        return None
    if content_type not in LOGO_TYPES:
        errors.append(FieldError("$.logo_content_type", f"must be one of {', '.join(sorted(LOGO_TYPES))}"))
        return None
    try:
        raw = base64.b64decode(str(data), validate=True)
    except (binascii.Error, ValueError):
        errors.append(FieldError("$.logo_base64", "must be base64"))
        return None
    if not raw or len(raw) > MAX_LOGO_BYTES:
        errors.append(FieldError("$.logo_base64", f"the logo must be 1 byte to {MAX_LOGO_BYTES // 1024} KB"))
        return None
    return str(content_type), raw


def parse_settings(stored: Any, tenant_name: str) -> tuple[PageSettings, list[FieldError]]:
    """The settings a stored block gives, and what is wrong with it (each wrong field keeps its default)."""
    errors: list[FieldError] = []
    if not isinstance(stored, dict):
        if stored is not None:
            errors.append(FieldError("$", "must be an object"))
        stored = {}
    known = {"brand_name", "colour", "logo_url", "logo_base64", "logo_content_type", "support_contact",
             "link_days_after_end", "position_within_stops", "tile_url"}
    errors += [FieldError(f"$.{k}", "unknown setting") for k in sorted(set(stored) - known)]
    name = stored.get("brand_name")
    if name is not None and (not isinstance(name, str) or not 0 < len(name.strip()) <= 80):
        errors.append(FieldError("$.brand_name", "must be a name of 1 to 80 characters"))
        name = None
    colour = stored.get("colour")
    if colour is not None and (not isinstance(colour, str) or not COLOUR.match(colour)):
        errors.append(FieldError("$.colour", "must be a colour like #1f5fbf"))
        colour = None
    contact = stored.get("support_contact")
    if contact is not None and (not isinstance(contact, str) or len(contact) > 200):
        errors.append(FieldError("$.support_contact", "must be text of at most 200 characters (email, phone or URL)"))
        contact = None
    settings = PageSettings(
        brand_name=(name or tenant_name).strip(),
        colour=colour or DEFAULT_COLOUR,
        logo_url=_https_url(stored.get("logo_url"), "$.logo_url", errors),
        logo=_logo(stored, errors),
        support_contact=(contact or "").strip() or None,
        link_days_after_end=_count(stored.get("link_days_after_end"), DEFAULT_LINK_DAYS_AFTER_END,
                                   "$.link_days_after_end", errors, 0, 365),
        position_within_stops=_count(stored.get("position_within_stops"), DEFAULT_POSITION_WITHIN_STOPS,
                                     "$.position_within_stops", errors, 0, 50),
        tile_url=_https_url(stored.get("tile_url"), "$.tile_url", errors, tiles=True),
    )
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
