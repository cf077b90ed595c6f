"""Write-back bodies: what the hub sends to Magento when a delivery moves. Pure.

dispatched → one shipment (``POST /V1/order/{id}/ship``) with a tracking line, once per delivery;
failed_attempt / returned / cancelled → an internal order comment (``POST /V1/orders/{id}/comments``).
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from connectors.magento.mapping import is_virtual, number, parent_id, remaining_qty

COMMENT_STATUSES = ("failed_attempt", "returned", "cancelled")
_COMMENTS = {
    "failed_attempt": "Delivery attempt failed",
    "returned": "Parcel returned to the sender",
    "cancelled": "Delivery cancelled",
}


def _ships_separately(bundle: Mapping[str, Any]) -> bool:
    options = bundle.get("product_options") or {}
    return str(options.get("shipment_type", "0")) == "1" if isinstance(options, Mapping) else False


def _open_qty(item: Mapping[str, Any]) -> Decimal:
    return remaining_qty(item) - (number(item.get("qty_shipped")) or 0)


def ship_items(order: Mapping[str, Any]) -> list[dict[str, Any]]:
    """``[{order_item_id, qty}]`` still to ship, as Magento wants them: simple lines, bundle parents
    (or their children when the bundle ships separately), configurable *children* (the parent holds
    the quantities). Virtual/downloadable lines and lines already shipped are left out."""
    items = [i for i in order.get("items") or [] if isinstance(i, Mapping)]
    by_id = {i.get("item_id"): i for i in items if i.get("item_id") is not None}
    out = []
    for item in items:
        if is_virtual(item):
            continue
        parent_ref = parent_id(item)
        parent = (by_id.get(parent_ref) or item.get("parent_item") or {}) if parent_ref is not None else None
        if parent is None:
            kind = item.get("product_type")
            if kind == "configurable" or (kind == "bundle" and _ships_separately(item)):
                continue  # the configurable's child, or the bundle's parts, are what ships
            qty = _open_qty(item)
        elif parent.get("product_type") == "configurable":
            qty = _open_qty(parent)
        elif parent.get("product_type") == "bundle" and _ships_separately(parent):
            qty = _open_qty(item)
        else:
            continue
        if qty > 0:
            out.append({"order_item_id": item.get("item_id"), "qty": int(qty) if qty == int(qty) else float(qty)})
    return out


def ship_body(order: Mapping[str, Any], delivery: Mapping[str, Any], event: Mapping[str, Any],
              settings: Mapping[str, Any]) -> dict[str, Any]:
    """The ship request: open items, one track (the carrier's number when the event has one, else the
    hub's delivery id, which the hub's tracking page knows), and the tracking link as a comment."""
    data = event.get("data") or {}
    track_number = str(data.get("tracking_number") or delivery.get("id") or "")
    body: dict[str, Any] = {
        "items": ship_items(order),
        "notify": bool(settings.get("notify_customer", True)),
        "tracks": [{"track_number": track_number, "title": str(data.get("carrier_name") or settings.get("carrier_title")),
                    "carrier_code": str(settings.get("carrier_code") or "custom")}],
    }
    if settings.get("source_code"):  # Multi-Source Inventory: which source the goods leave from
        body["arguments"] = {"extension_attributes": {"source_code": str(settings["source_code"])}}
    url = event.get("tracking_url")
    if url:
        body["appendComment"] = True
        body["comment"] = {"comment": f"Track your delivery: {url}", "is_visible_on_front": 1}
    return body


def comment_body(order_id: str, delivery: Mapping[str, Any], event: Mapping[str, Any]) -> dict[str, Any]:
    """An order comment for the store's staff (not shown to the customer, no email)."""
    data = event.get("data") or {}
    status = str(data.get("status"))
    reason = str(data.get("reason") or "").strip()
    text = f"{_COMMENTS.get(status, status)}{': ' + reason if reason else ''} (Delivery Hub {delivery.get('id')})."
    return staff_comment(order_id, text)


def staff_comment(order_id: str, text: str) -> dict[str, Any]:
    """The body of an order comment only the store's staff see (``POST /V1/orders/{id}/comments``)."""
    parent: Any = int(order_id) if str(order_id).isdigit() else order_id
    return {"statusHistory": {"comment": text, "is_customer_notified": 0, "is_visible_on_front": 0, "parent_id": parent}}


def earlier_shipment(event: Mapping[str, Any]) -> str | None:
    """The shipment id an earlier write-back created for this delivery, if any."""
    writeback = event.get("writeback") or {}
    ref = writeback.get("external_ref")
    return str(ref) if ref else None


def from_the_store(event: Mapping[str, Any]) -> bool:
    """True when the change came from this store (it cancelled the order): nothing to tell it."""
    actor = event.get("actor") or {}
    return actor.get("kind") == "connector" and actor.get("connector") == "magento"
