"""The connector object the hub talks to: settings in, the two capabilities out."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hub.plugins import InboundEvent, InboundRequest, MappedDelivery, MappingContext, Verification

from hub_connector_example import mapping, webhooks


class AcmeOrders:
    """Implements ``receive_webhook`` (verify, parse) and ``map_delivery`` (to_delivery)."""

    def __init__(self, settings: Mapping[str, Any]) -> None:
        self._secret: str = settings["webhook_secret"]
        self.default_country: str = settings["default_country"]

    def __repr__(self) -> str:  # never show the secret
        return f"AcmeOrders(default_country={self.default_country!r})"

    def verify(self, request: InboundRequest) -> Verification:
        return webhooks.verify(request, self._secret)

    def parse(self, request: InboundRequest) -> list[InboundEvent]:
        return webhooks.parse(request)

    def to_delivery(self, raw: Mapping[str, Any], ctx: MappingContext) -> MappedDelivery:
        return mapping.to_delivery(raw, ctx)
