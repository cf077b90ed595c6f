"""The tenant's slot settings (tenants.settings["slots"]), read with their defaults and checked.

Every key is optional; README "Delivery slots and the second attempt" lists them with their defaults.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from hub.db.models import Tenant

SETTINGS_KEY = "slots"
# Two hours: the window most European grocers and parcel firms offer; short enough to wait at home for.
DEFAULT_WINDOW_MINUTES = 120
# The day windows are cut from, in the depot's local time: a van's usual working day.
DEFAULT_DAY_START, DEFAULT_DAY_END = "08:00", "20:00"
# A same-day window closes two hours before it starts: time to pick, pack, load and drive out.
DEFAULT_CUTOFF_MINUTES = 120
# A checkout takes a few minutes; a quarter of an hour holds a window without starving other shoppers.
DEFAULT_HOLD_MINUTES = 15
# How many days a customer may choose among on the next-attempt page.
DEFAULT_DAYS_AHEAD = 6
HHMM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")


class SlotSettingsError(ValueError):
    def __init__(self, path: str, message: str) -> None:
        super().__init__(f"{path}: {message}")
        self.path, self.message = path, message


@dataclass(frozen=True)
class PickupPoint:
    id: str
    name: str
    address: str


@dataclass(frozen=True)
class SlotSettings:
    window_minutes: int = DEFAULT_WINDOW_MINUTES
    day_start: str = DEFAULT_DAY_START
    day_end: str = DEFAULT_DAY_END
    cutoff_minutes: int = DEFAULT_CUTOFF_MINUTES
    hold_minutes: int = DEFAULT_HOLD_MINUTES
    days_ahead: int = DEFAULT_DAYS_AHEAD
    price: str = "0.00"  # what a window costs at a Shopify checkout (carrier-calculated rate)
    currency: str = "EUR"
    pickup_points: tuple[PickupPoint, ...] = field(default_factory=tuple)


def _minutes(value: str) -> int:
    hours, minutes = value.split(":")
    return int(hours) * 60 + int(minutes)


def parse_settings(block: Any) -> SlotSettings:
    """SlotSettingsError names the first bad key."""
    if block is None:
        return SlotSettings()
    if not isinstance(block, dict):
        raise SlotSettingsError("$.slots", "must be an object")
    out = SlotSettings()
    values: dict[str, Any] = {}
    for key, low, high in (("window_minutes", 30, 720), ("cutoff_minutes", 0, 2880), ("hold_minutes", 1, 1440),
                           ("days_ahead", 1, 31)):
        if key in block:
            value = block[key]
            if isinstance(value, float) and value.is_integer():  # JSON's 30.0 is the integer 30
                value = int(value)
            if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
                raise SlotSettingsError(f"$.slots.{key}", f"must be a whole number from {low} to {high}")
            values[key] = value
    for key in ("day_start", "day_end"):
        if key in block:
            if not isinstance(block[key], str) or not HHMM.match(block[key]):
                raise SlotSettingsError(f"$.slots.{key}", 'must be a local time "HH:MM"')
            values[key] = block[key]
    if _minutes(values.get("day_start", out.day_start)) >= _minutes(values.get("day_end", out.day_end)):
        raise SlotSettingsError("$.slots.day_end", "must be after day_start")
    if "price" in block:
        if not isinstance(block["price"], str) or not re.fullmatch(r"\d+(\.\d{1,2})?", block["price"]):
            raise SlotSettingsError("$.slots.price", 'must be an amount as a string, e.g. "4.90"')
        values["price"] = block["price"]
    if "currency" in block:
        if not isinstance(block["currency"], str) or not re.fullmatch(r"[A-Z]{3}", block["currency"]):
            raise SlotSettingsError("$.slots.currency", "must be an ISO 4217 code, e.g. EUR")
        values["currency"] = block["currency"]
    points = []
    for i, point in enumerate(block.get("pickup_points") or []):
        if not isinstance(point, dict) or not all(isinstance(point.get(k), str) and point.get(k)
                                                  for k in ("id", "name", "address")):
            raise SlotSettingsError(f"$.slots.pickup_points[{i}]", "needs id, name and address (strings)")
        points.append(PickupPoint(point["id"], point["name"], point["address"]))
    return SlotSettings(**{**out.__dict__, **values, "pickup_points": tuple(points)})


def load_settings(session: Session, tenant_id: str) -> SlotSettings:
    tenant = session.get(Tenant, tenant_id)
    return parse_settings((tenant.settings or {}).get(SETTINGS_KEY) if tenant else None)


def save_settings(session: Session, tenant_id: str, block: dict[str, Any]) -> SlotSettings:
    parsed = parse_settings(block)
    tenant = session.get(Tenant, tenant_id)
    tenant.settings = {**(tenant.settings or {}), SETTINGS_KEY: block}  # a new dict: JSON columns track assignment
    return parsed


def day_windows(settings: SlotSettings) -> list[tuple[int, int]]:
    """(start, end) in seconds from local midnight: the day cut into windows of window_minutes."""
    start, end, step = _minutes(settings.day_start), _minutes(settings.day_end), settings.window_minutes
    return [(m * 60, (m + step) * 60) for m in range(start, end - step + 1, step)]
