"""One delivery's fact row, folded from its events: pure, no database, no clock.

The same fold runs for the outbox feed (one delivery, after each of its events) and for `hub analytics
rebuild` (every delivery), so both give the same rows by construction; tests/analytics checks it anyway.

Definitions (README "Analytics" repeats them):
- attempt: a move to `delivered` or `failed_attempt`; the first one decides first-attempt success.
- on time: delivered inside the window promised when the order came in (the first `promised_window` seen;
  a window moved later by recovery does not excuse the lateness).
- dwell: from the move to `arriving` to the attempt's end (delivered or failed) of the last attempt.
- ETA delta: the last arrival minus the planned ETA of the newest route event.
- rating: the newest event of type `delivery.rated` (data `rating`, 1 to 5), when such events exist.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Callable, Iterable, Protocol

from hub.analytics.settings import AnalyticsSettings
from hub.canonical.fields import parse_aware_timestamp

RATED_EVENT = "delivery.rated"  # a customer's rating; added by the customer-experience room
ATTEMPT_ENDS = frozenset({"delivered", "failed_attempt"})
ON_THE_ROAD = frozenset({"picked_up", "in_transit"})
ROUTE_EVENTS = frozenset({"route.planned", "route.updated"})


class EventLike(Protocol):
    type: str
    sequence: int
    occurred_at: datetime
    recorded_at: datetime
    data: dict[str, Any]


@dataclass(frozen=True)
class FoldContext:
    """What the fold needs beyond the events: the tenant's settings and the price an assignment agreed."""

    settings: AnalyticsSettings
    carrier_cost: Callable[[str], float | None]  # assignment id -> the chosen carrier's price, if known


def week_of(day: date) -> date:
    return day - timedelta(days=day.weekday())


def postal_area(postal_code: Any, chars: int) -> str | None:
    if not isinstance(postal_code, str) or not postal_code.strip():
        return None
    return postal_code.replace(" ", "").upper()[:chars]


def _rating(data: dict[str, Any]) -> int | None:
    value = data.get("rating", data.get("score"))
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 1 <= value <= 5:
        return None
    return int(round(value))


def _window(doc: dict[str, Any]) -> tuple[datetime | None, datetime | None]:
    window = doc.get("promised_window") or {}
    return parse_aware_timestamp(window.get("start")), parse_aware_timestamp(window.get("end"))


def _seconds(later: datetime | None, earlier: datetime | None) -> float | None:
    return (later - earlier).total_seconds() if later and earlier else None


def fold_delivery(tenant_id: str, delivery_id: str, events: Iterable[EventLike], ctx: FoldContext) -> dict[str, Any]:
    """The fact columns of one delivery (without the own-fleet cost share, which its route-day sets)."""
    doc: dict[str, Any] = {}
    window: tuple[datetime | None, datetime | None] = (None, None)
    created_at: datetime | None = None
    status = "received"
    capacity = depot_id = carrier_id = assignment_id = None
    route: dict[str, Any] = {}
    route_at: datetime | None = None
    attempts = failed = exceptions = count = 0
    first_ok: bool | None = None
    failure_reason: str | None = None
    failed_at = delivered_at = arrived_at = arrival = completed_at = departed_at = None
    dwell: float | None = None
    rating: int | None = None
    for event in sorted(events, key=lambda e: e.sequence):
        count += 1
        data, at = event.data or {}, event.occurred_at
        if event.type in ("delivery.created", "delivery.updated") and isinstance(data.get("delivery"), dict):
            doc = data["delivery"]
            created_at = created_at or (at if event.type == "delivery.created" else None)
            if window == (None, None):
                window = _window(doc)
            status = doc.get("status", status) if event.type == "delivery.created" else status
        elif event.type == "delivery.assigned":
            capacity, assignment_id = data.get("capacity"), data.get("assignment_id")
            depot_id = data.get("depot_id") if capacity == "own_fleet" else None
            carrier_id = data.get("carrier_id") if capacity == "carrier" else None
            if capacity != "own_fleet":
                route, route_at = {}, None
        elif event.type in ROUTE_EVENTS:
            route, route_at = data, event.recorded_at
        elif event.type == "delivery.status_changed":
            status = data.get("status", status)
            if status in ON_THE_ROAD and departed_at is None:
                departed_at = at
            if status == "arriving":
                arrival = arrived_at = at
            if status in ATTEMPT_ENDS:
                attempts += 1
                first_ok = (status == "delivered") if first_ok is None else first_ok
                completed_at = at
                dwell = _seconds(at, arrival)
                arrival = None
                if status == "delivered":
                    delivered_at = at
                else:
                    failed += 1
                    if failure_reason is None:
                        failure_reason, failed_at = data.get("reason_code") or "unknown", at
        elif event.type == "delivery.exception":
            exceptions += 1
        elif event.type == RATED_EVENT:
            rating = _rating(data) or rating
    start, end = window
    day = (start or created_at or datetime(1970, 1, 1)).date()
    address = (doc.get("dropoff") or {}).get("address") or {}
    geo = address.get("geo") or {}
    settings = ctx.settings
    stop = (route.get("stops") or [{}])[0] if route else {}
    planned_eta = parse_aware_timestamp(stop.get("eta")) if stop else None
    plan_id, _, vehicle = (route.get("route_id") or "").partition(":")
    cost = ctx.carrier_cost(assignment_id) if capacity == "carrier" and assignment_id else None
    service_level = doc.get("service_level") or "unknown"
    return {
        "delivery_id": delivery_id, "tenant_id": tenant_id, "day": day, "week": week_of(day),
        "created_at": created_at, "status": status, "service_level": service_level,
        "connector": (doc.get("source") or {}).get("connector") or "", "capacity": capacity,
        "depot_id": depot_id, "carrier_id": carrier_id,
        "driver_id": route.get("driver_id") if route else None, "vehicle_id": vehicle or None,
        "postal_area": postal_area(address.get("postal_code"), settings.postal_area_chars),
        "stop_type": "business" if "b2b" in (doc.get("tags") or []) else "residential",
        "lat": geo.get("lat"), "lng": geo.get("lng"), "window_start": start, "window_end": end,
        "attempts": attempts, "first_attempt_ok": first_ok, "failed_attempts": failed,
        "failure_reason": failure_reason, "failed_at": failed_at, "delivered_at": delivered_at,
        "on_time": (start <= delivered_at <= end) if delivered_at and start and end else None,
        "arrived_at": arrived_at, "completed_at": completed_at, "departed_at": departed_at, "dwell_s": dwell,
        "planned_position": stop.get("position") if stop else None, "planned_eta": planned_eta,
        "eta_delta_s": _seconds(arrived_at, planned_eta), "exceptions": exceptions, "rating": rating,
        "cost": cost, "cost_source": "carrier_quote" if cost is not None else None,
        "fee": settings.fee_for(service_level) if status == "delivered" else None,
        "route_plan_id": plan_id or None,
        "route_planned_distance_m": route.get("distance_m") if route else None,
        "route_planned_duration_s": route.get("duration_s") if route else None,
        "route_planned_at": route_at, "events": count,
    }
