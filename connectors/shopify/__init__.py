"""Shopify: orders in by signed webhooks, fulfilments and tracking back out, via the ShopifyAPI library.

The hub finds it through the entry point ``shopify = "connectors.shopify:CONNECTOR"``. Store-owner
guide: ``docs/connectors/shopify.md``.
"""

from __future__ import annotations

from connectors.shopify import mapping
from connectors.shopify.connector import Shopify
from connectors.shopify.settings import ShopifySettings
from hub.plugins import (
    ADDRESS_WORDS,
    MAP_DELIVERY,
    PUSH_FULFILLMENT,
    PUSH_NOTE,
    RECEIVE_WEBHOOK,
    REGISTER_WEBHOOKS,
    SERVICE_LEVEL_WORDS,
    UNREGISTER_WEBHOOKS,
    ConnectorSpec,
    WebhookAuth,
)

__version__ = "0.1.0"

CONNECTOR = ConnectorSpec(
    id="shopify",
    label="Shopify",
    kind="source",
    version=__version__,
    settings_schema=ShopifySettings,
    capabilities=frozenset({RECEIVE_WEBHOOK, MAP_DELIVERY, REGISTER_WEBHOOKS, UNREGISTER_WEBHOOKS, PUSH_FULFILLMENT,
                            PUSH_NOTE}),
    factory=Shopify,
    # The HMAC signs the body; the access token signs nothing.
    webhook_auth=WebhookAuth(header="X-Shopify-Hmac-Sha256", secrets=("client_secret", "previous_client_secret")),
    description="Shopify orders by signed webhooks; fulfilments with tracking and shipment events back to the shop.",
    docs_url="https://github.com/delivery-hub/delivery-hub/blob/main/docs/connectors/shopify.md",
    tables=(mapping.SERVICE_LEVELS, SERVICE_LEVEL_WORDS, ADDRESS_WORDS),
)

__all__ = ["CONNECTOR"]
