"""Shared test values: settings, signing a request the way WooCommerce does, the golden folder."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hub.plugins import InboundRequest
from hub.testing import make_request

from connectors.woocommerce.webhooks import derive_webhook_secret, sign

GOLDEN = Path(__file__).parent / "fixtures" / "golden"
STORE_URL = "https://shop.example.com"
CONSUMER_KEY = "ck_4b1f0e2d9c8b7a6f5e4d3c2b1a0f9e8d7c6b5a49"
CONSUMER_SECRET = "cs_0a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d4e3f2a1b"
OWN_WEBHOOK_SECRET = "owner-chosen webhook secret &amp; more"
#: Settings without webhook_secret: the connector derives it (the default install).
SETTINGS: dict[str, Any] = {"url": STORE_URL, "consumer_key": CONSUMER_KEY, "consumer_secret": CONSUMER_SECRET}
DERIVED_SECRET = derive_webhook_secret(CONSUMER_SECRET, STORE_URL)


def settings_for(url: str, **extra: Any) -> dict[str, Any]:
    return {**SETTINGS, "url": url, **extra}


def woo_headers(topic: str, delivery_id: str, webhook_id: str = "31") -> dict[str, str]:
    resource, _, event = topic.partition(".")
    return {
        "Content-Type": "application/json", "User-Agent": "WooCommerce/8.9.1 Hookshot (WordPress/6.5.3)",
        "X-WC-Webhook-Source": STORE_URL + "/", "X-WC-Webhook-Topic": topic, "X-WC-Webhook-Resource": resource,
        "X-WC-Webhook-Event": event, "X-WC-Webhook-ID": webhook_id, "X-WC-Webhook-Delivery-ID": delivery_id,
    }


def signed_headers(body: bytes, topic: str, delivery_id: str, secret: str = DERIVED_SECRET) -> dict[str, str]:
    return {**woo_headers(topic, delivery_id), "X-WC-Webhook-Signature": sign(secret, body)}


def signed(body: bytes, topic: str, delivery_id: str, secret: str = DERIVED_SECRET) -> InboundRequest:
    """A request as WooCommerce sends it: ``body`` exactly as given, signed with ``secret``."""
    return make_request(body, signed_headers(body, topic, delivery_id, secret))


def ping(webhook_id: int = 31) -> InboundRequest:
    """The creation ping: form body, no signature, no X-WC headers."""
    return make_request(f"webhook_id={webhook_id}".encode(), {
        "Content-Type": "application/x-www-form-urlencoded",
        "User-Agent": "WooCommerce/8.9.1 Hookshot (WordPress/6.5.3)"})
