"""Delivery status → Shopify: a fulfilment with tracking on dispatch, fulfilment events after that.

``dispatched`` fetches the order's fulfillment orders and fulfils the open ones through
``POST fulfillments.json`` (``line_items_by_fulfillment_order`` + ``tracking_info``); the new
fulfilment's id comes back as ``WriteBackResult.external_ref`` and the hub hands it to every later
write-back as ``event["writeback"]["external_ref"]``. Later statuses become fulfilment events
(``mappings/shopify/fulfillment_events.yaml``). A later status that finds no fulfilment yet (the dispatch write-back
found nothing to fulfil, or the delivery skipped ``dispatched``) creates it first.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hub.plugins import MAPPINGS_DIR, Table, WriteBackResult, load_table

from connectors.shopify.client import ShopifyClient

#: Shopify's fulfillment event statuses (REST FulfillmentEvent), per the ShopifyAPI library's own list.
SHOPIFY_EVENT_STATUSES = frozenset({
    "label_printed", "label_purchased", "attempted_delivery", "ready_for_pickup", "picked_up", "confirmed",
    "in_transit", "out_for_delivery", "delivered", "failure",
})


def events_of(table: Table) -> dict[str, str]:
    """Hub status → Shopify event status; the schema checks the hub side, this Shopify's words."""
    for status, event in table["statuses"].items():
        if event not in SHOPIFY_EVENT_STATUSES:
            raise table.error(("statuses", status), f"{event!r} is not a Shopify fulfillment event status")
    return dict(table["statuses"])


FULFILLMENT_EVENTS = events_of(load_table(MAPPINGS_DIR / "shopify", "fulfillment_events"))

#: Fulfillment order statuses that can still be fulfilled.
OPEN_STATUSES = frozenset({"open", "in_progress"})


def _text(value: Any) -> str | None:
    text = str(value).strip() if value is not None else ""
    return text or None


def tracking_info(delivery: Mapping[str, Any], event: Mapping[str, Any], settings: Mapping[str, Any]) -> dict[str, str]:
    data = event.get("data") or {}
    info = {
        "number": _text(data.get("tracking_number")) or str(delivery.get("id") or event.get("delivery_id")),
        "company": _text(data.get("carrier")) or str(settings.get("tracking_company") or "Delivery hub"),
    }
    url = _text(event.get("tracking_url"))
    if url:
        info["url"] = url
    return info


def _open_orders(found: list[dict[str, Any]], location_id: str | None) -> list[dict[str, Any]]:
    keep = []
    for fo in found:
        if fo.get("status") not in OPEN_STATUSES:
            continue
        if location_id and str(fo.get("assigned_location_id")) != str(location_id):
            continue
        if not any((li.get("fulfillable_quantity") or 0) > 0 for li in fo.get("line_items") or []):
            continue
        keep.append(fo)
    return keep


def fulfil(client: ShopifyClient, order_id: str, info: Mapping[str, str], settings: Mapping[str, Any]) -> WriteBackResult:
    """Create the fulfilment for every open fulfillment order of the order (whole orders, one call).

    Safe to repeat: when nothing is open any more, a fulfilment that already carries our tracking
    number (a retry after a lost answer) is returned instead of failing."""
    open_orders = _open_orders(client.fulfillment_orders(order_id), settings.get("location_id"))
    if not open_orders:
        for existing in client.fulfillments(order_id):
            numbers = existing.get("tracking_numbers") or [existing.get("tracking_number")]
            if info["number"] in numbers and existing.get("status") != "cancelled":
                return WriteBackResult(ok=True, external_ref=str(existing["id"]), detail="fulfilment already exists")
        return WriteBackResult(ok=False, detail="nothing left to fulfil in Shopify (fulfilled or on hold elsewhere)")
    body = {
        "line_items_by_fulfillment_order": [{"fulfillment_order_id": fo["id"]} for fo in open_orders],
        "tracking_info": dict(info),
        "notify_customer": bool(settings.get("notify_customer", True)),
    }
    created = client.create_fulfillment(body)
    return WriteBackResult(ok=True, external_ref=str(created["id"]),
                           detail=f"fulfilment {created.get('name') or created['id']} created")


def push_status(client: ShopifyClient, settings: Mapping[str, Any], delivery: Mapping[str, Any],
                event: Mapping[str, Any]) -> WriteBackResult:
    data = event.get("data") or {}
    status = data.get("status")
    order_id = _text((delivery.get("source") or {}).get("external_id"))
    if order_id is None:
        return WriteBackResult(ok=False, detail="the delivery has no Shopify order id")
    fulfillment_id = _text((event.get("writeback") or {}).get("external_ref"))
    info = tracking_info(delivery, event, settings)
    if status == "dispatched":
        if fulfillment_id:  # dispatched again after a reassignment: the fulfilment already exists
            return WriteBackResult(ok=True, external_ref=fulfillment_id, detail="fulfilment already exists")
        return fulfil(client, order_id, info, settings)
    shopify_status = FULFILLMENT_EVENTS.get(str(status))
    if shopify_status is None:
        return WriteBackResult(ok=True, external_ref=fulfillment_id, detail=f"nothing to tell Shopify about {status!r}")
    if fulfillment_id is None:
        if status == "cancelled":  # cancelled before dispatch: nothing was fulfilled, nothing to undo
            return WriteBackResult(ok=True, detail="cancelled before dispatch; nothing to tell Shopify")
        created = fulfil(client, order_id, info, settings)
        if not created.ok or created.external_ref is None:
            return created
        fulfillment_id = created.external_ref
    body = {"status": shopify_status}
    if event.get("occurred_at"):
        body["happened_at"] = str(event["occurred_at"])
    if _text(data.get("reason")):
        body["message"] = str(data["reason"])[:255]
    client.create_fulfillment_event(order_id, fulfillment_id, body)
    return WriteBackResult(ok=True, external_ref=fulfillment_id, detail=f"fulfilment event {shopify_status} pushed")
