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


WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")  # date.weekday() order


@dataclass(frozen=True)
class PickupPoint:
    """One of the tenant's pickup points. `address` is the line the recipient reads; with coordinates, a city and
    a country the hub can route the next attempt there itself (`routable`), else an operator does."""

    id: str
    name: str
    address: str
    line1: str = ""  # the street line of its canonical address; default: `address`
    postal_code: str = ""
    city: str = ""
    country: str = ""
    lat: float | None = None
    lng: float | None = None
    # Weekday ("mon".."sun") -> ("HH:MM", "HH:MM") local opening; empty: any day, the recovery policy's window.
    opening_hours: tuple[tuple[str, tuple[str, str]], ...] = ()

    @property
    def routable(self) -> bool:
        return self.lat is not None and self.lng is not None and bool(self.city and self.country)

    def canonical_address(self) -> dict[str, Any]:
        """The point as a canonical address (schemas/delivery.v1.json $defs/Address); only when routable."""
        out: dict[str, Any] = {"line1": self.line1 or self.address, "city": self.city, "country": self.country,
                               "geo": {"lat": self.lat, "lng": self.lng}}
        if self.postal_code:
            out["postal_code"] = self.postal_code
        return out

    def as_dict(self) -> dict[str, Any]:
        """As the tenant set it (keys left out stay out)."""
        out: dict[str, Any] = {"id": self.id, "name": self.name, "address": self.address}
        out.update({k: v for k, v in (("line1", self.line1), ("postal_code", self.postal_code), ("city", self.city),
                                      ("country", self.country), ("lat", self.lat), ("lng", self.lng)) if v not in ("", None)})
        if self.opening_hours:
            out["opening_hours"] = {day: {"open": span[0], "close": span[1]} for day, span in self.opening_hours}
        return out

    def hours_on(self, weekday: int) -> tuple[str, str] | None:
        """Its opening on that weekday (0 = Monday); None when closed. Without opening hours: never None."""
        if not self.opening_hours:
            return (DEFAULT_DAY_START, DEFAULT_DAY_END)
        return dict(self.opening_hours).get(WEEKDAYS[weekday])


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
    points = tuple(_pickup_point(i, point) for i, point in enumerate(block.get("pickup_points") or []))
    return SlotSettings(**{**out.__dict__, **values, "pickup_points": points})


def _opening_hours(path: str, hours: Any) -> tuple[tuple[str, tuple[str, str]], ...]:
    if not isinstance(hours, dict) or not hours:
        raise SlotSettingsError(path, 'must name at least one weekday, e.g. {"mon": {"open": "09:00", "close": "18:00"}}')
    out = []
    for day, span in hours.items():
        if day not in WEEKDAYS:
            raise SlotSettingsError(f"{path}.{day}", f"is not a weekday ({', '.join(WEEKDAYS)})")
        times = span if isinstance(span, dict) else {}
        opens, closes = times.get("open"), times.get("close")
        if not (isinstance(opens, str) and HHMM.match(opens) and isinstance(closes, str) and HHMM.match(closes)):
            raise SlotSettingsError(f"{path}.{day}", 'needs "open" and "close" as local times "HH:MM"')
        if _minutes(closes) <= _minutes(opens):
            raise SlotSettingsError(f"{path}.{day}.close", "must be after open")
        out.append((day, (opens, closes)))
    return tuple(sorted(out, key=lambda item: WEEKDAYS.index(item[0])))


def _pickup_point(i: int, point: Any) -> PickupPoint:
    path = f"$.slots.pickup_points[{i}]"
    if not isinstance(point, dict) or not all(isinstance(point.get(k), str) and point.get(k)
                                              for k in ("id", "name", "address")):
        raise SlotSettingsError(path, "needs id, name and address (strings)")
    for key in ("line1", "postal_code", "city", "country"):
        if key in point and not (isinstance(point[key], str) and point[key]):
            raise SlotSettingsError(f"{path}.{key}", "must be a non-empty string")
    if "country" in point and not re.fullmatch(r"[A-Z]{2}", point["country"]):
        raise SlotSettingsError(f"{path}.country", "must be an ISO 3166-1 alpha-2 code, e.g. DE")
    where = {}
    for key, bound in (("lat", 90), ("lng", 180)):
        value = point.get(key)
        if key in point and (isinstance(value, bool) or not isinstance(value, (int, float)) or not -bound <= value <= bound):
            raise SlotSettingsError(f"{path}.{key}", f"must be a number from -{bound} to {bound}")
        where[key] = float(value) if key in point else None
    if ("lat" in point) != ("lng" in point) or ("lat" in point and not ("city" in point and "country" in point)):
        raise SlotSettingsError(f"{path}.lat", "give lat and lng together, with city and country")
    hours = _opening_hours(f"{path}.opening_hours", point["opening_hours"]) if "opening_hours" in point else ()
    return PickupPoint(point["id"], point["name"], point["address"], point.get("line1", ""),
                       point.get("postal_code", ""), point.get("city", ""), point.get("country", ""),
                       where["lat"], where["lng"], hours)


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
