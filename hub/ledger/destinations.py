"""Where a delivery goes when it is not the recipient's own door: one of the tenant's pickup points, chosen by the
recipient after a failed attempt (hub/tracking/pickup.py applies it). Pure functions on the canonical document.

The drop-off's `address` becomes the point's (with its coordinates: assignment, planning, the driver's stop and
the tracking page all read that), and `dropoff.pickup_point` names the point and keeps the address the recipient
gave, `customer_address`, so it is never lost: a later choice of a slot at home puts it back, and a store update
that still carries it does not undo the choice. A pickup point is not an address change: the point comes from
the tenant's own list, and the recipient's address stays on record, unchanged.
"""

from __future__ import annotations

from typing import Any, Mapping

PICKUP_KEY = "pickup_point"


def pickup_point_of(doc: Mapping[str, Any]) -> dict[str, Any] | None:
    """The document's pickup point block, when the delivery goes to one."""
    block = (doc.get("dropoff") or {}).get(PICKUP_KEY)
    return dict(block) if isinstance(block, Mapping) else None


def customer_address(doc: Mapping[str, Any]) -> dict[str, Any]:
    """The address the recipient gave: kept aside while the delivery goes to a pickup point."""
    point = pickup_point_of(doc)
    if point is not None:
        return dict(point["customer_address"])
    return dict((doc.get("dropoff") or {}).get("address") or {})


def to_pickup_point(doc: Mapping[str, Any], point_id: str, name: str, address: Mapping[str, Any]) -> dict[str, Any]:
    """The drop-off sent to a pickup point: its address, and the recipient's own kept (the first one, when the
    delivery already went to another point)."""
    dropoff = dict(doc.get("dropoff") or {})
    dropoff[PICKUP_KEY] = {"id": point_id, "name": name, "customer_address": customer_address(doc)}
    dropoff["address"] = dict(address)
    return dropoff


def back_home(doc: Mapping[str, Any]) -> dict[str, Any]:
    """The drop-off at the recipient's own address again (unchanged when it never left it)."""
    dropoff = dict(doc.get("dropoff") or {})
    point = dropoff.pop(PICKUP_KEY, None)
    if isinstance(point, Mapping):
        dropoff["address"] = dict(point["customer_address"])
    return dropoff


def keep_pickup_point(existing: Mapping[str, Any], content: dict[str, Any]) -> dict[str, Any]:
    """A source's update of an order whose recipient chose a pickup point: while the source still sends the
    address the recipient gave, the delivery keeps going to the point (the rest of the drop-off, e.g. the contact,
    follows the source). A source that sends another address has changed where the order goes: that wins."""
    point = pickup_point_of(existing)
    incoming = content.get("dropoff")
    if point is None or not isinstance(incoming, Mapping):
        return content
    if dict(incoming.get("address") or {}) != point["customer_address"]:
        return content
    kept = {**incoming, "address": (existing.get("dropoff") or {}).get("address"), PICKUP_KEY: point}
    return {**content, "dropoff": kept}
