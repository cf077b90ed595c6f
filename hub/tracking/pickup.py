"""The next attempt at one of the tenant's pickup points, as the recovery policy applies it (hub/tracking/recovery.py):
the drop-off becomes the point (its address and coordinates from tenants.settings["slots"].pickup_points, the
recipient's own address kept in `dropoff.pickup_point.customer_address` and on the event), and the promised window
becomes the point's opening on the first day the policy allows (its days_ahead from today, its weekends) and the
point is open. The `delivery.updated` that writes both re-assigns the delivery (the depot covering the point)
and re-plans that day.

`pickup_window` and `destination` are pure; the caller writes them through `apply_recovery` / `set_window`.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any, Mapping, Protocol

from hub.canonical.fields import parse_timestamp
from hub.ledger.destinations import customer_address, to_pickup_point
from hub.tracking.recovery import RecoveryError, next_window

# A point closed for two weeks in a row is not a point to send anyone to: give up rather than promise a far day.
SEARCH_DAYS = 14


class PickupPoint(Protocol):
    """What the recovery needs of a tenant's pickup point (hub/slots/settings.py PickupPoint has it)."""

    id: str
    name: str
    opening_hours: tuple[tuple[str, tuple[str, str]], ...]

    @property
    def routable(self) -> bool: ...

    def canonical_address(self) -> dict[str, Any]: ...

    def hours_on(self, weekday: int) -> tuple[str, str] | None: ...


def _at(day: Any, hhmm: str, tz: Any) -> datetime:
    return datetime.combine(day, time.fromisoformat(hhmm), tz)


def pickup_window(point: PickupPoint, policy: Mapping[str, Any], promised: Mapping[str, str] | None,
                  now: datetime) -> dict[str, str]:
    """The point's opening on the first day it is open from the policy's next day on (`days_ahead` after today,
    past weekends when the policy skips them), in the offset of the recipient's window; a point without opening
    hours takes the policy's next window itself."""
    base = next_window(dict(policy), dict(promised) if promised else None, now)
    if not point.opening_hours:
        return base
    spec = policy.get("reschedule") or {}
    zone = parse_timestamp(base.get("start") or base["end"]).tzinfo
    first = now.astimezone(zone).date() + timedelta(days=int(spec.get("days_ahead", 1)))
    for ahead in range(SEARCH_DAYS):
        day = first + timedelta(days=ahead)
        hours = point.hours_on(day.weekday())
        if hours is None or (spec.get("skip_weekends") and day.weekday() >= 5):
            continue
        start, end = _at(day, hours[0], zone), _at(day, hours[1], zone)
        if end > now:
            return {"start": start.isoformat(), "end": end.isoformat()}
    raise RecoveryError(409, "pickup_point_closed", f"pickup point {point.id} is not open in the next {SEARCH_DAYS} days")


def destination(doc: Mapping[str, Any], point: PickupPoint) -> tuple[dict[str, Any], dict[str, Any]]:
    """The drop-off at the point, and what the `delivery.recovery` event records of it: the point with its address,
    and the recipient's own address (never lost)."""
    if not point.routable:
        raise RecoveryError(422, "pickup_point_not_routable",
                            f"pickup point {point.id} has no coordinates, city and country: an operator routes it")
    address = point.canonical_address()
    dropoff = to_pickup_point(doc, point.id, point.name, address)
    recorded = {"pickup_point": {"id": point.id, "name": point.name, "address": address},
                "customer_address": customer_address(doc)}
    return dropoff, recorded
