"""WooCommerce: orders in by signed webhooks, delivery status back as order status and order notes.

The hub installs it with ``hub install woocommerce --tenant T --set url=https://shop.example.com
--set consumer_key=ck_... --set consumer_secret=cs_...``; the connector then registers the
``order.created``, ``order.updated``, ``order.deleted`` and ``order.restored`` webhooks at the store
(``POST /wp-json/wc/v3/webhooks``).

Webhook secret, and why the connector stays stateless: every webhook is registered with one secret
per installation. When the owner does not set ``webhook_secret``, the connector derives it as
``hex(HMAC-SHA256(key=consumer_secret, message="hub-webhook:" + url))`` (url without a trailing
slash). The same settings give the same secret at install time and at verify time, so nothing has to
be stored besides the settings the hub already keeps. The price: a new consumer secret (key
rotation) gives a new webhook secret, so the webhooks must be registered again after it
(``register_webhooks`` is idempotent and updates the existing ones). An owner who wants a secret that
survives key rotation sets ``webhook_secret``; it then wins.
"""

from __future__ import annotations

from connectors.woocommerce import mapping
from connectors.woocommerce.connector import WooCommerce
from connectors.woocommerce.settings import WooCommerceSettings
from hub.plugins import (
    ADDRESS_WORDS,
    MAP_DELIVERY,
    PUSH_FULFILLMENT,
    PUSH_NOTE,
    RECEIVE_WEBHOOK,
    REGISTER_WEBHOOKS,
    UNREGISTER_WEBHOOKS,
    WEIGHT_UNITS,
    ConnectorSpec,
    WebhookAuth,
)

__version__ = "0.1.0"

CONNECTOR = ConnectorSpec(
    id="woocommerce",
    label="WooCommerce",
    kind="source",
    version=__version__,
    settings_schema=WooCommerceSettings,
    capabilities=frozenset({RECEIVE_WEBHOOK, MAP_DELIVERY, REGISTER_WEBHOOKS, UNREGISTER_WEBHOOKS, PUSH_FULFILLMENT,
                            PUSH_NOTE}),
    factory=WooCommerce,
    # Signed with the owner's webhook secret or one derived from the consumer secret: both count.
    webhook_auth=WebhookAuth(header="X-WC-Webhook-Signature", secrets=("webhook_secret", "consumer_secret")),
    description="WooCommerce orders by signed webhooks; delivery status back as order status and notes.",
    tables=(mapping.SERVICE_LEVELS, mapping.ORDER_STATUSES, mapping.WEIGHT_META_KEYS, WEIGHT_UNITS, ADDRESS_WORDS),
)

__all__ = ["CONNECTOR"]
