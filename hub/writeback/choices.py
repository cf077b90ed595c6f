"""The note a store's staff get when the recipient chooses how the next attempt goes (hub/customer/choices.py):
pure, from the `delivery.recovery` event's data. Connectors with `push_note` deliver it as an order note."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Mapping


def _window(window: Mapping[str, Any]) -> str:
    start, end = window.get("start"), window.get("end")
    if not start or not end:
        return "a new window"
    first, last = datetime.fromisoformat(str(start)), datetime.fromisoformat(str(end))
    offset = first.strftime("%z")
    zone = f" (UTC{offset[:3]}:{offset[3:]})" if offset else ""
    return f"{first:%Y-%m-%d %H:%M}-{last:%H:%M}{zone}"


def _point(data: Mapping[str, Any], choice: Mapping[str, Any]) -> str:
    """The point by name and address when the hub routed the delivery there (and the recipient's own address,
    which stays the order's), else by its id."""
    point = data.get("pickup_point") or {}
    if not point:
        return str(choice.get("pickup_point", ""))
    text = f"{point['name']} ({_address(point.get('address') or {})})"
    home = data.get("customer_address")
    return text + (f"; their own address stays {_address(home)}" if home else "")


def _address(address: Mapping[str, Any]) -> str:
    place = " ".join(str(address[k]) for k in ("postal_code", "city") if address.get(k))
    return ", ".join(part for part in (str(address.get("line1", "")), place) if part)


def choice_note(data: Mapping[str, Any], delivery_id: str) -> str | None:
    """What the recipient chose, in a sentence for the store's staff; None for a decision that was not theirs."""
    if (data.get("decided_by") or {}).get("kind") != "customer":
        return None
    choice = data.get("choice") or {}
    kind = choice.get("kind")
    window = _window(data.get("window") or {})
    if kind == "slot":
        text = f"The recipient chose a new delivery window: {window}."
    elif kind in ("safe_place", "neighbour"):
        where = "at a safe place" if kind == "safe_place" else "with a neighbour"
        text = f"The recipient asked us to leave the parcel {where}: {choice.get('instructions', '')}. Next attempt: {window}."
    elif kind == "pickup_point":
        text = f"The recipient will collect the parcel at pickup point {_point(data, choice)}. Next attempt: {window}."
    else:
        return None
    return f"{text} (Delivery Hub {delivery_id})"
