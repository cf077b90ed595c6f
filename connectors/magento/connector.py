"""The connector object the hub talks to: pull orders, map them, write shipments and comments back."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any

from hub.plugins import (InboundEvent, InboundRequest, MappedDelivery, MappingContext, PullBatch, Verification,
                         WriteBackResult)

from connectors.magento import mapping, polling, webhooks, writeback
from connectors.magento.client import MagentoClient

#: When a page holds only orders already handed over (a store that ignores the OR filter group), read
#: at most this many further pages of the same search before giving the page back as is.
MAX_BOUNDARY_PAGES = 20


class Magento:
    """Implements ``receive_webhook`` (for pulled items), ``map_delivery``, ``pull_orders`` and
    ``push_fulfillment``. Holds settings and an HTTP client; no hub state."""

    def __init__(self, settings: Mapping[str, Any], client: MagentoClient | None = None) -> None:
        self._settings = settings
        self.client = client or MagentoClient(settings)

    def __repr__(self) -> str:  # never show a token
        return f"Magento(base_url={self._settings.get('base_url')!r}, auth={self._settings.get('auth')!r})"

    # -- receive_webhook: only the hub's own pulled items ------------------------------------------
    def verify(self, request: InboundRequest) -> Verification:
        return webhooks.verify(request)

    def parse(self, request: InboundRequest) -> list[InboundEvent]:
        return webhooks.parse(request)

    # -- map_delivery ------------------------------------------------------------------------------
    def to_delivery(self, raw: Mapping[str, Any], ctx: MappingContext) -> MappedDelivery:
        return mapping.to_delivery(raw, ctx)

    # -- pull_orders -------------------------------------------------------------------------------
    def pull(self, bookmark: str | None, *, limit: int) -> PullBatch:
        """One page of orders changed after ``bookmark`` (None: start ``initial_lookback_days`` ago)."""
        after = polling.parse_bookmark(bookmark) or polling.start_bookmark(
            datetime.now(timezone.utc), int(self._settings.get("initial_lookback_days", 7)))
        page = 1
        while True:
            result = self.client.search_orders(polling.search_query(after, page_size=limit, page=page))
            found = polling.read_page(result, after, page_size=limit, page=page)
            if found.fresh or not found.more or page >= MAX_BOUNDARY_PAGES:
                break
            page += 1
        next_bookmark = str(found.next_bookmark or after)
        return PullBatch(items=list(found.fresh), next_bookmark=next_bookmark, has_more=found.more)

    # -- push_fulfillment --------------------------------------------------------------------------
    def push_status(self, delivery: Mapping[str, Any], event: Mapping[str, Any]) -> WriteBackResult:
        status = str((event.get("data") or {}).get("status"))
        order_id = str((delivery.get("source") or {}).get("external_id") or "")
        shipped = writeback.earlier_shipment(event)
        if not order_id:
            return WriteBackResult(ok=False, external_ref=shipped, detail="the delivery has no Magento order id")
        if status == "dispatched":
            return self._ship(order_id, delivery, event, shipped)
        if status in writeback.COMMENT_STATUSES:
            if status == "cancelled" and writeback.from_the_store(event):
                return WriteBackResult(ok=True, external_ref=shipped,
                                       detail="cancelled by the store itself; nothing to tell it")
            self.client.add_comment(order_id, writeback.comment_body(order_id, delivery, event))
            return WriteBackResult(ok=True, external_ref=shipped, detail=f"order comment added ({status})")
        return WriteBackResult(ok=True, external_ref=shipped, detail=f"nothing to write back for {status}")

    # -- push_note ---------------------------------------------------------------------------------
    def push_note(self, delivery: Mapping[str, Any], note: str) -> WriteBackResult:
        """An order comment for the store's staff (not shown to the customer, no email)."""
        order_id = str((delivery.get("source") or {}).get("external_id") or "")
        if not order_id:
            return WriteBackResult(ok=False, detail="the delivery has no Magento order id")
        self.client.add_comment(order_id, writeback.staff_comment(order_id, note))
        return WriteBackResult(ok=True, detail="order comment added (the recipient's choice)")

    def _ship(self, order_id: str, delivery: Mapping[str, Any], event: Mapping[str, Any],
              shipped: str | None) -> WriteBackResult:
        if shipped:
            return WriteBackResult(ok=True, external_ref=shipped, detail=f"already shipped as shipment {shipped}")
        order = self.client.get_order(order_id)
        if mapping.cancelled(order):
            return WriteBackResult(ok=True, detail=f"order {mapping.order_state(order)} at the store; not shipped")
        body = writeback.ship_body(order, delivery, event, self._settings)
        if not body["items"]:
            return WriteBackResult(ok=True, detail="nothing left to ship: the store has shipped every item already")
        shipment_id = self.client.ship(order_id, body)
        return WriteBackResult(ok=True, external_ref=str(shipment_id), detail=f"shipment {shipment_id} created")
