"""What a store owner sets when installing the Shopify connector. Secrets are flagged; the hub redacts them."""

from __future__ import annotations

import json
import re
from typing import Any

from marshmallow import Schema, ValidationError, fields, pre_load, validate, validates

from hub.plugins import SERVICE_LEVELS, Pattern, WebUrl

#: The Admin API version used when the owner sets none. REST versions live about a year; 2026-07 is the
#: version the stored webhook reference (and so our payload samples) was written against.
DEFAULT_API_VERSION = "2026-07"
SHOP_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]*\.myshopify\.com$")
# What owners may paste for `shop` (_normalise turns it into SHOP_PATTERN): any case, an http(s):// in front,
# slashes after, spaces or a newline around.
PASTED_SHOP = (r"^[ \t\r\n]*(?:[Hh][Tt][Tt][Pp][Ss]?://)?[A-Za-z0-9][A-Za-z0-9-]*\.[Mm][Yy][Ss][Hh][Oo][Pp][Ii][Ff][Yy]"
               r"\.[Cc][Oo][Mm]/*[ \t\r\n]*$")
API_VERSION_PATTERN = r"^([0-9]{4}-(01|04|07|10)|unstable)$"


class ShopifySettings(Schema):
    """Installation settings. ``access_token``, ``client_secret`` and ``previous_client_secret`` are secret."""

    shop = fields.String(
        required=True, validate=Pattern(PASTED_SHOP, error="Use the shop's myshopify.com domain, e.g. berlin-bakery.myshopify.com."),
        metadata={"description": "The shop's permanent domain, e.g. berlin-bakery.myshopify.com."},
    )
    access_token = fields.String(
        required=True,
        validate=validate.Length(min=1, error="Paste the Admin API access token (shpat_...)."),
        metadata={"secret": True, "description": "Admin API access token of the custom app (shpat_...)."},
    )
    client_secret = fields.String(
        required=True,
        validate=validate.Length(min=1, error="Paste the app's client secret (API secret key)."),
        metadata={"secret": True, "description": "The app's client secret: Shopify signs webhooks with it."},
    )
    previous_client_secret = fields.String(
        load_default=None, allow_none=True,
        metadata={"secret": True, "description": "The old client secret while you rotate it; remove it afterwards."},
    )
    api_version = fields.String(
        load_default=DEFAULT_API_VERSION,
        validate=Pattern(API_VERSION_PATTERN, error="Use a Shopify API version such as 2026-07."),
        metadata={"description": "Admin API version (YYYY-01/04/07/10)."},
    )
    api_url = WebUrl(
        load_default=None, allow_none=True, require_tld=False, schemes={"http", "https"},
        metadata={"description": "Base URL of the Admin API when it is not https://<shop> (a proxy or a test stand-in)."},
    )
    vip_tag = fields.String(
        load_default="vip", validate=validate.Length(min=1),
        metadata={"description": "Orders tagged with this word get priority_tier vip (case-insensitive)."},
    )
    service_levels = fields.Dict(
        keys=fields.String(validate=validate.Length(min=1)),
        values=fields.String(validate=validate.OneOf(SERVICE_LEVELS)),
        load_default=dict,
        metadata={"description": "Shipping line code or title -> service level; wins over the built-in table."},
    )
    tracking_company = fields.String(
        load_default="Delivery hub", validate=validate.Length(min=1),
        metadata={"description": "Carrier name shown to the customer when the delivery event names none."},
    )
    notify_customer = fields.Boolean(
        load_default=True, metadata={"description": "Let Shopify email the customer when the order ships."},
    )
    location_id = fields.String(
        load_default=None, allow_none=True, validate=Pattern(r"^[0-9]+$", error="A numeric Shopify location id."),
        metadata={"description": "Only fulfil from this location; also the delivery's pickup location id."},
    )
    default_country = fields.String(
        load_default=None, allow_none=True,
        validate=Pattern(r"^[A-Z]{2}$", error="Use an ISO 3166-1 alpha-2 code such as US or DE."),
        metadata={"description": "Country for shipping addresses that arrive without one."},
    )
    timeout_s = fields.Float(
        # Shopify answers in well under a second; 10 s rides out a slow moment and stays far inside the
        # 120 s the hub gives one write-back job.
        load_default=10.0, validate=validate.Range(min=0.1, max=60),
        metadata={"description": "Seconds to wait for one Shopify API call."},
    )

    @pre_load
    def _normalise(self, data: Any, **_: Any) -> Any:
        """Accept what owners paste: https://Shop.myshopify.com/ becomes shop.myshopify.com; a JSON string
        for service_levels (what ``hub install --set`` passes) becomes an object."""
        if not isinstance(data, dict):
            return data
        data = dict(data)
        shop = data.get("shop")
        if isinstance(shop, str):
            data["shop"] = re.sub(r"^https?://", "", shop.strip(" \t\r\n").lower()).rstrip("/")
        levels = data.get("service_levels")
        if isinstance(levels, str):
            try:
                data["service_levels"] = json.loads(levels) if levels.strip() else {}
            except ValueError:
                raise ValidationError("Give a JSON object such as {\"Express\": \"express\"}.", "service_levels") from None
        for key in ("previous_client_secret", "api_url", "location_id", "default_country"):
            if data.get(key) == "":
                data[key] = None
        return data

    @validates("shop")
    def _check_shop(self, value: str, **_: Any) -> None:
        if not SHOP_PATTERN.fullmatch(value):
            raise ValidationError("Use the shop's myshopify.com domain, e.g. berlin-bakery.myshopify.com.")
