"""What a store owner types when installing Magento: the store URL, one way to authenticate, and how
the store is set up (weight unit, default country). Secrets are flagged; the hub redacts them."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from hub.plugins import SERVICE_LEVELS, Pattern, WebUrl


OAUTH1_VALUES = ("access_token_secret", "consumer_key", "consumer_secret")


def _secret(description: str) -> fields.String:
    return fields.String(load_default=None, allow_none=True, validate=validate.Length(min=8),
                         metadata={"secret": True, "description": description})


class MagentoSettings(Schema):
    """Installation settings. ``auth`` chooses between a Bearer token and OAuth 1.0a signing."""

    class Meta:
        # oauth1 needs its three other values (_credentials), stated in the settings' JSON Schema.
        openapi = {"anyOf": [{"properties": {"auth": {"const": "bearer"}}},
                             {"required": list(OAUTH1_VALUES),
                              "properties": {name: {"type": "string"} for name in OAUTH1_VALUES}}]}

    base_url = WebUrl(
        required=True, require_tld=False, schemes={"http", "https"},
        metadata={"description": "The store's base URL, e.g. https://shop.example.com (without /rest)."},
    )
    store_code = fields.String(
        load_default="default", validate=Pattern(r"^[a-z0-9_]+$", error="A Magento store view code such as 'default'."),
        metadata={"description": "Store view code used in /rest/<store_code>/V1 ('all' for every store view)."},
    )
    auth = fields.String(
        load_default="bearer", validate=validate.OneOf(["bearer", "oauth1"]),
        metadata={"description": "bearer: send access_token as a Bearer token. oauth1: sign every request with "
                  "the integration's four OAuth values (HMAC-SHA256)."},
    )
    access_token = fields.String(required=True, validate=validate.Length(min=8),
                                 error_messages={"required": "An access token is required."},
                                 metadata={"secret": True, "description": "Integration access token (System > "
                                           "Integrations), or an admin token."})
    access_token_secret = _secret("Integration access token secret (oauth1 only).")
    consumer_key = _secret("Integration consumer key (oauth1 only).")
    consumer_secret = _secret("Integration consumer secret (oauth1 only).")
    weight_unit = fields.String(
        load_default="kgs", validate=validate.OneOf(["kgs", "lbs"]),
        metadata={"description": "The store's weight unit (Stores > Configuration > General > Locale Options)."},
    )
    default_country = fields.String(
        load_default="US", validate=Pattern(r"^[A-Z]{2}$", error="Use an ISO 3166-1 alpha-2 code such as US or DE."),
        metadata={"description": "Country for addresses that arrive without one."},
    )
    poll_interval_s = fields.Integer(
        # 30 s keeps a store's API load modest; 6 h stays well inside the 24 h the queue keeps a job record.
        load_default=60, validate=validate.Range(min=30, max=6 * 3600),
        metadata={"description": "Seconds between two polls for new or changed orders."},
    )
    initial_lookback_days = fields.Integer(
        load_default=7, validate=validate.Range(min=0, max=3650),
        metadata={"description": "On the first poll, fetch orders changed in the last N days (0: all orders)."},
    )
    request_timeout_s = fields.Float(
        # Magento order searches with full order bodies can take several seconds on a busy store.
        load_default=30.0, validate=validate.Range(min=1, max=120),
        metadata={"description": "Seconds to wait for the store's API before retrying later."},
    )
    carrier_code = fields.String(
        load_default="custom", validate=validate.Length(min=1, max=64),
        metadata={"description": "carrier_code of the shipment tracks the hub creates ('custom' is always accepted)."},
    )
    carrier_title = fields.String(
        load_default="Local delivery", validate=validate.Length(min=1, max=255),
        metadata={"description": "Carrier title customers see on the tracking line."},
    )
    notify_customer = fields.Boolean(
        load_default=True, metadata={"description": "Let Magento email the customer when the shipment is created."},
    )
    source_code = fields.String(
        load_default=None, allow_none=True, validate=validate.Length(min=1, max=255),
        metadata={"description": "Multi-Source Inventory: the source shipments are taken from (e.g. 'ne_wh'); "
                  "leave empty for single-source stores."},
    )
    service_levels = fields.Dict(
        keys=fields.String(), values=fields.String(validate=validate.OneOf(SERVICE_LEVELS)), load_default=dict,
        metadata={"description": "Shipping method code → service level, e.g. {\"flatrate_flatrate\": \"next_day\"}; "
                  "wins over the built-in table."},
    )

    @validates_schema
    def _credentials(self, data: dict[str, Any], **_: Any) -> None:
        if not data.get("access_token"):
            raise ValidationError("An access token is required.", "access_token")
        if data.get("auth") == "oauth1":
            missing = [name for name in OAUTH1_VALUES if not data.get(name)]
            if missing:
                raise ValidationError({name: ["Required when auth is oauth1."] for name in missing})
