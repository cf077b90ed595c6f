"""Magento 2 (Open Source and Adobe Commerce): orders polled over the REST API, shipments written back.

Magento Open Source sends no webhooks, so the hub polls ``GET /rest/<store>/V1/orders`` (see
``polling.py``); dispatched deliveries become Magento shipments with a tracking line. Found by the hub
through the entry point ``magento = "connectors.magento:CONNECTOR"``.
"""

from __future__ import annotations

from hub.plugins import (
    MAP_DELIVERY, PULL_ORDERS, PUSH_FULFILLMENT, PUSH_NOTE, RECEIVE_WEBHOOK, SERVICE_LEVEL_WORDS, WEIGHT_UNITS,
    ConnectorSpec,
)

from connectors.magento import mapping
from connectors.magento.connector import Magento
from connectors.magento.settings import MagentoSettings

__version__ = "0.1.0"

CONNECTOR = ConnectorSpec(
    id="magento",
    label="Magento 2",
    kind="source",
    version=__version__,
    settings_schema=MagentoSettings,
    capabilities=frozenset({RECEIVE_WEBHOOK, MAP_DELIVERY, PULL_ORDERS, PUSH_FULFILLMENT, PUSH_NOTE}),
    factory=Magento,
    description="Orders polled from a Magento 2 store's REST API; shipments with tracking written back.",
    docs_url="https://github.com/delivery-hub/delivery-hub/blob/main/docs/connectors/magento.md",
    tables=(mapping.LEVELS, mapping.ORDER_STATES, SERVICE_LEVEL_WORDS, WEIGHT_UNITS),
)

__all__ = ["CONNECTOR"]
