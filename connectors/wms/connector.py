"""The connector object the hub talks to: settings in, capabilities out."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from hub.plugins import InboundEvent, InboundRequest, Verification

from connectors.wms import client, webhooks


class Warehouse:
    """``receive_webhook``: verify and parse the warehouse's signed events."""

    def __init__(self, settings: Mapping[str, Any]) -> None:
        self._webhook_secret: str = settings["webhook_secret"]
        self.location_id: str | None = settings.get("location_id")

    def __repr__(self) -> str:  # never show a secret
        return f"{type(self).__name__}(location_id={self.location_id!r})"

    def verify(self, request: InboundRequest) -> Verification:
        return webhooks.verify(request, self._webhook_secret)

    def parse(self, request: InboundRequest) -> list[InboundEvent]:
        return webhooks.parse(request)


class WarehouseWithPickBy(Warehouse):
    """Also ``push_pick_by``: built only when the owner set pick_by_url, so the hub never calls it
    on an installation that has nowhere to send the message."""

    def __init__(self, settings: Mapping[str, Any]) -> None:
        super().__init__(settings)
        self.pick_by_url: str = settings["pick_by_url"]
        self._pick_by_secret: str = settings["pick_by_secret"]

    def __repr__(self) -> str:
        return f"{type(self).__name__}(location_id={self.location_id!r}, pick_by_url={self.pick_by_url!r})"

    def send_pick_by(self, delivery: Mapping[str, Any], pick_by: datetime) -> None:
        """POST a signed pick_by message; raises TransientError / requests.HTTPError on failure."""
        message = client.pick_by_message(delivery, pick_by, self.location_id)
        msg_id = client.message_id(str(delivery.get("id")), pick_by)
        client.post_signed(self.pick_by_url, self._pick_by_secret, msg_id, message)


def build(settings: Mapping[str, Any]) -> Warehouse:
    """The spec's factory: the pick-by half only when there is a URL to send to."""
    return WarehouseWithPickBy(settings) if settings.get("pick_by_url") else Warehouse(settings)
