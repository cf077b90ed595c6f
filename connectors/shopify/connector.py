"""The object the hub talks to: settings in, five capabilities out."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from connectors.shopify import mapping, webhooks, writeback
from connectors.shopify.client import ShopifyClient
from hub.plugins import (
    InboundEvent,
    InboundRequest,
    MappedDelivery,
    MappingContext,
    RegisteredHook,
    Verification,
    WriteBackResult,
)


class Shopify:
    """receive_webhook (verify, parse), map_delivery (to_delivery), register_webhooks, unregister_webhooks
    and push_fulfillment (push_status). Holds no hub state."""

    def __init__(self, settings: Mapping[str, Any]) -> None:
        self.shop: str = settings["shop"]
        self._secrets = (settings["client_secret"], settings.get("previous_client_secret"))
        self._settings = {k: v for k, v in settings.items()
                          if k not in ("access_token", "client_secret", "previous_client_secret")}
        self.client = ShopifyClient(self.shop, settings["access_token"], settings["api_version"],
                                    api_url=settings.get("api_url"), timeout_s=settings["timeout_s"])

    def __repr__(self) -> str:  # never show a secret
        return f"Shopify(shop={self.shop!r})"

    def verify(self, request: InboundRequest) -> Verification:
        return webhooks.verify(request, self._secrets, self.shop)

    def parse(self, request: InboundRequest) -> list[InboundEvent]:
        return webhooks.parse(request)

    def to_delivery(self, raw: Mapping[str, Any], ctx: MappingContext) -> MappedDelivery:
        return mapping.to_delivery(raw, ctx)

    def register_webhooks(self, target_url: str) -> list[RegisteredHook]:
        return self.client.register_webhooks(target_url, webhooks.TOPICS)

    def unregister_webhooks(self, registered: list[RegisteredHook]) -> None:
        self.client.unregister_webhooks(registered)

    def push_status(self, delivery: Mapping[str, Any], event: Mapping[str, Any]) -> WriteBackResult:
        return writeback.push_status(self.client, self._settings, delivery, event)

    def push_note(self, delivery: Mapping[str, Any], note: str) -> WriteBackResult:
        """A paragraph added to the order's note, which the merchant reads on the order page."""
        order_id = str((delivery.get("source") or {}).get("external_id") or "").strip()
        if not order_id:
            return WriteBackResult(ok=False, detail="the delivery has no Shopify order id")
        self.client.append_order_note(order_id, note)
        return WriteBackResult(ok=True, detail=f"note added to order {order_id}")

