"""Acme Orders: an example third-party connector for the delivery hub.

The hub finds it through the entry point ``acme_orders = "hub_connector_example:CONNECTOR"`` and
never imports it by name.
"""

from __future__ import annotations

from hub.plugins import MAP_DELIVERY, RECEIVE_WEBHOOK, ConnectorSpec, WebhookAuth
from hub_connector_example import mapping
from hub_connector_example.connector import AcmeOrders
from hub_connector_example.settings import AcmeSettings

__version__ = "0.1.0"

CONNECTOR = ConnectorSpec(
    id="acme_orders",
    label="Acme Orders",
    kind="source",
    version=__version__,
    settings_schema=AcmeSettings,
    capabilities=frozenset({RECEIVE_WEBHOOK, MAP_DELIVERY}),
    factory=AcmeOrders,
    webhook_auth=WebhookAuth(scheme="signature", header="X-Acme-Signature", secrets=("webhook_secret",)),
    description="Orders from the Acme order system, pushed by signed webhooks.",
    docs_url="https://github.com/delivery-hub/delivery-hub/tree/main/examples/hub-connector-example",
    tables=(mapping.SERVICE_LEVELS,),
)

__all__ = ["CONNECTOR"]
