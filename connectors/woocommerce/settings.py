"""What an owner types when installing WooCommerce: the store URL and a REST API key pair.

``consumer_secret`` and ``webhook_secret`` are secret (redacted everywhere). ``consumer_key`` is not
flagged: alone it grants nothing (every REST call also needs the secret or an OAuth signature made
with it), and owners need to recognise which key an installation uses (WooCommerce lists keys by
their last characters).
"""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from hub.plugins import Pattern, WebUrl

WEIGHT_UNITS = ("kg", "g", "lbs", "oz")


class WooCommerceSettings(Schema):
    """Installation settings; see docs/connectors/woocommerce.md."""

    url = WebUrl(
        required=True, require_tld=False, schemes={"http", "https"},
        metadata={"description": "The store's address, e.g. https://shop.example.com (HTTPS: Basic auth; "
                  "plain HTTP: OAuth 1.0a signatures)."},
    )
    consumer_key = fields.String(
        required=True, validate=Pattern(r"^ck_[A-Za-z0-9]+$", error="A WooCommerce consumer key starts with ck_."),
        metadata={"description": "REST API consumer key (WooCommerce > Settings > Advanced > REST API), read/write."},
    )
    consumer_secret = fields.String(
        required=True, validate=Pattern(r"^cs_[A-Za-z0-9]+$", error="A WooCommerce consumer secret starts with cs_."),
        metadata={"secret": True, "description": "REST API consumer secret of the same key."},
    )
    webhook_secret = fields.String(
        load_default=None, validate=validate.Length(min=1),
        metadata={"secret": True, "description": "Secret of the store's webhooks. Leave it out: the hub derives one "
                  "from the consumer secret and the URL and registers the webhooks with it."},
    )
    weight_unit = fields.String(
        load_default="kg", validate=validate.OneOf(WEIGHT_UNITS),
        metadata={"description": "The store's weight unit (Settings > Products), for item weights found in order meta."},
    )
    default_country = fields.String(
        load_default=None, validate=Pattern(r"^[A-Z]{2}$", error="Use an ISO 3166-1 alpha-2 code such as US or DE."),
        metadata={"description": "Country for shipping addresses that arrive without one (the store's base country)."},
    )
    extra_deliverable_statuses = fields.String(
        load_default="", validate=Pattern(r"^[a-z0-9_, \t\r\n-]*$", error="Comma-separated status slugs, e.g. on-hold,shipped."),
        metadata={"description": "Comma-separated order statuses to deliver besides processing and completed, e.g. "
                  "on-hold or a plugin's custom status (without the wc- prefix)."},
    )
    timeout_s = fields.Float(
        # 15 s: shared WordPress hosting often needs several seconds per REST call; beyond that the hub retries later
        load_default=15.0, validate=validate.Range(min=1, max=120),
        metadata={"description": "Seconds to wait for the store's REST API before retrying later."},
    )
