"""One route-day's fact, folded from the facts of its stops (and the driver's pings): pure.

- planned distance and duration: the newest route event among its stops (re-plans replace older ones);
- actual duration: the first stop going on the road to the last stop's attempt ending;
- actual distance: the driver's pings in that span, point to point (None without pings);
- stops in planned order: attempted stops whose rank by completion time equals their rank by planned position;
- cost: hours x (driver cost per hour + the vehicle's cost per hour) + km x the vehicle's cost per km (the
  tenant's default when the vehicle names none), actual hours and km where known, else planned ones; each
  stop's share is the cost divided by the stops on the route.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date
from typing import Any, Iterable, Sequence

from hub.analytics.facts import week_of
from hub.analytics.settings import AnalyticsSettings

EARTH_RADIUS_M = 6_371_000.0


@dataclass(frozen=True)
class VehicleCost:
    per_hour: float  # on top of the driver's hourly cost
    per_km: float  # 0: the tenant's default


def route_key(depot_id: str, day: date, vehicle_id: str) -> str:
    return f"{depot_id}|{day.isoformat()}|{vehicle_id}"


def haversine_m(a: tuple[float, float], b: tuple[float, float]) -> float:
    lat1, lng1, lat2, lng2 = map(math.radians, (a[0], a[1], b[0], b[1]))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lng2 - lng1) / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(h))


def track_length_m(points: Sequence[tuple[float, float]]) -> float:
    return sum(haversine_m(points[i - 1], points[i]) for i in range(1, len(points)))


def _rank(values: list[Any]) -> list[int]:
    order = sorted(range(len(values)), key=lambda i: values[i])
    ranks = [0] * len(values)
    for rank, index in enumerate(order):
        ranks[index] = rank
    return ranks


def fold_route(key: str, tenant_id: str, depot_id: str, day: date, vehicle_id: str, stops: Iterable[dict[str, Any]],
               ping_distance_m: float | None, vehicle: VehicleCost | None, settings: AnalyticsSettings,
               ) -> dict[str, Any]:
    """The route-day row; `stops` are its delivery facts as dicts (cancelled ones already left out)."""
    stops = list(stops)
    newest = max((s for s in stops if s.get("route_planned_at")), key=lambda s: s["route_planned_at"], default=None)
    planned_m = newest.get("route_planned_distance_m") if newest else None
    planned_s = newest.get("route_planned_duration_s") if newest else None
    driver = next((s["driver_id"] for s in ([newest] if newest else []) + stops if s.get("driver_id")), None)
    started = min((s["departed_at"] for s in stops if s.get("departed_at")), default=None)
    ended = max((s["completed_at"] for s in stops if s.get("completed_at")), default=None)
    actual_s = int((ended - started).total_seconds()) if started and ended and ended >= started else None
    done = [s for s in stops if s.get("completed_at") and s.get("planned_position") is not None]
    in_order = sum(1 for a, b in zip(_rank([s["completed_at"] for s in done]),
                                     _rank([s["planned_position"] for s in done])) if a == b)
    deltas = [abs(s["eta_delta_s"]) for s in stops if s.get("eta_delta_s") is not None]
    actual_m = int(round(ping_distance_m)) if ping_distance_m else None
    hours = (actual_s if actual_s is not None else planned_s)
    km = (actual_m if actual_m is not None else planned_m)
    cost = None
    if hours is not None or km is not None:
        per_hour = settings.driver_cost_per_hour + (vehicle.per_hour if vehicle else 0.0)
        per_km = vehicle.per_km if vehicle and vehicle.per_km > 0 else settings.cost_per_km
        cost = round((hours or 0) / 3600 * per_hour + (km or 0) / 1000 * per_km, 4)
    return {
        "route_key": key, "tenant_id": tenant_id, "depot_id": depot_id, "day": day, "week": week_of(day),
        "vehicle_id": vehicle_id, "driver_id": driver, "stops": len(stops),
        "stops_done": sum(1 for s in stops if s.get("completed_at")), "stops_in_planned_order": in_order,
        "planned_distance_m": planned_m, "planned_duration_s": planned_s, "actual_distance_m": actual_m,
        "actual_duration_s": actual_s, "started_at": started, "ended_at": ended,
        "eta_abs_delta_s": sum(deltas) / len(deltas) if deltas else None, "cost": cost,
        "fees": round(sum(s.get("fee") or 0.0 for s in stops), 4),
    }


def cost_share(route: dict[str, Any]) -> float | None:
    """Each stop's part of its route's cost."""
    if route.get("cost") is None or not route.get("stops"):
        return None
    return round(route["cost"] / route["stops"], 4)
