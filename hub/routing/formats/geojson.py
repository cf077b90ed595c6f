"""A `RoutePlan` as a GeoJSON FeatureCollection (RFC 7946, coordinates [lng, lat]).

One LineString per route (depot -> stops -> depot), one Point per served stop with its sequence
and ETA, one Point per depot, one Point per unassigned stop with the reason. Colours follow the
simplestyle-spec keys (`stroke`, `marker-color`) so geojson.io and most viewers draw them as is.
Pure translation: locations come from the problem, times from the plan.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from hub.routing.model import REASONS, Location, Problem, Route, RoutePlan

# Matplotlib's "tab10": ten colours picked to stay distinguishable, also for most colour-blind readers.
ROUTE_COLORS: tuple[str, ...] = (
    "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
    "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf",
)
UNASSIGNED_COLOR = "#000000"
DEPOT_COLOR = "#333333"


def route_color(position: int) -> str:
    """Colour of the route at this position in the plan (cycles after ten)."""
    return ROUTE_COLORS[position % len(ROUTE_COLORS)]


def locations_by_index(problem: Problem) -> dict[int, Location]:
    """Matrix index -> coordinates, from the depots and stops that carry them."""
    found: dict[int, Location] = {}
    for depot in problem.depots:
        if depot.location is not None:
            found.setdefault(depot.location_index, depot.location)
    for stop in problem.stops:
        if stop.location is not None:
            found.setdefault(stop.location_index, stop.location)
    return found


def route_path(problem: Problem, route: Route, where: dict[int, Location]) -> list[Location]:
    """The located points a route passes: its start, each visit, its end (unknown ones skipped)."""
    vehicle = problem.vehicle(route.vehicle_id)
    indices = [vehicle.start_index, *(problem.stop(v.stop_id).location_index for v in route.visits), vehicle.end_index]
    return [where[i] for i in indices if i in where]


def eta(problem: Problem, seconds: int) -> str | None:
    """ISO timestamp of `seconds` after the problem's origin, or None for abstract days."""
    if not problem.origin:
        return None
    return (datetime.fromisoformat(problem.origin) + timedelta(seconds=seconds)).isoformat()


def plan_to_geojson(problem: Problem, plan: RoutePlan) -> dict[str, Any]:
    where = locations_by_index(problem)
    features: list[dict[str, Any]] = []
    for depot in problem.depots:
        if depot.location is not None:
            features.append(_point(depot.location, {"kind": "depot", "depot_id": depot.id,
                                                    "marker-color": DEPOT_COLOR, "marker-symbol": "warehouse"}))
    for position, route in enumerate(r for r in plan.routes if r.visits):
        color = route_color(position)
        path = route_path(problem, route, where)
        if len(path) >= 2:  # RFC 7946: a LineString has at least two positions
            features.append({
                "type": "Feature",
                "geometry": {"type": "LineString", "coordinates": [_lnglat(p) for p in path]},
                "properties": {
                    "kind": "route", "vehicle": route.vehicle_id, "distance_m": route.distance_m,
                    "duration_s": route.duration_s, "cost": route.cost, "stop_count": len(route.visits),
                    "start": eta(problem, route.start_time), "end": eta(problem, route.end_time),
                    "color": color, "stroke": color, "stroke-width": 3,
                },
            })
        for sequence, visit in enumerate(route.visits, start=1):
            loc = problem.stop(visit.stop_id).location
            if loc is None:
                continue
            features.append(_point(loc, {
                "kind": "stop", "stop_id": visit.stop_id, "vehicle": route.vehicle_id, "sequence": sequence,
                "arrival_s": visit.arrival, "service_start_s": visit.service_start, "departure_s": visit.departure,
                "wait_s": visit.wait, "eta": eta(problem, visit.arrival), "color": color, "marker-color": color,
                "marker-symbol": str(sequence) if sequence < 100 else "circle",  # maki has glyphs 0-99 only
            }))
    for item in plan.unassigned:
        loc = problem.stop(item.stop_id).location
        if loc is None:
            continue
        features.append(_point(loc, {
            "kind": "unassigned", "stop_id": item.stop_id, "reason": item.reason,
            "reason_text": REASONS.get(item.reason, item.reason), "message": item.message,
            "marker-color": UNASSIGNED_COLOR, "marker-symbol": "cross",
        }))
    collection: dict[str, Any] = {"type": "FeatureCollection", "features": features}
    if problem.name:
        collection["name"] = problem.name  # a foreign member many viewers show as the layer name
    return collection


def _lnglat(loc: Location) -> list[float]:
    return [loc.lng, loc.lat]


def _point(loc: Location, properties: dict[str, Any]) -> dict[str, Any]:
    return {"type": "Feature", "geometry": {"type": "Point", "coordinates": _lnglat(loc)}, "properties": properties}
