"""Problems and plans to and from plain dicts, for storage as JSON.

A stored problem keeps its points and how the matrices were priced, not the matrices themselves:
they are recomputed (the haversine provider is pure and deterministic), which keeps a 300-stop day
at a few tens of kilobytes instead of megabytes per version.
"""

from __future__ import annotations

from typing import Any

from hub.routing.matrix import HaversineProvider, SpeedProfile
from hub.routing.model import (
    Break,
    BreakTaken,
    Depot,
    Location,
    Problem,
    Route,
    RoutePlan,
    Stop,
    TimeWindow,
    Unassigned,
    Vehicle,
    Visit,
)

MATRIX_VEHICLE_TYPE = "van"


def provider_for(spec: dict[str, Any]) -> HaversineProvider:
    return HaversineProvider(road_factor=float(spec["road_factor"]),
                             speeds_kmh={MATRIX_VEHICLE_TYPE: float(spec["base_speed_kmh"])},
                             profile=SpeedProfile.flat())


def _tw(w: TimeWindow | None) -> list[int] | None:
    return None if w is None else [w.start, w.end]


def _untw(v: list[int] | None) -> TimeWindow | None:
    return None if v is None else TimeWindow(int(v[0]), int(v[1]))


def _loc(loc: Location | None) -> list[float] | None:
    return None if loc is None else [loc.lat, loc.lng]


def _unloc(v: list[float] | None) -> Location | None:
    return None if v is None else Location(float(v[0]), float(v[1]))


def problem_to_dict(problem: Problem, points: list[tuple[float, float]], matrix: dict[str, Any],
                    drivers: dict[str, str | None]) -> dict[str, Any]:
    return {
        "name": problem.name, "origin": problem.origin, "dimension_names": list(problem.dimension_names),
        "points": [list(p) for p in points], "matrix": matrix, "drivers": drivers,
        "depots": [{"id": d.id, "location_index": d.location_index, "location": _loc(d.location),
                    "time_window": _tw(d.time_window)} for d in problem.depots],
        "vehicles": [{
            "id": v.id, "start_index": v.start_index, "end_index": v.end_index, "capacity": list(v.capacity),
            "shift": _tw(v.shift), "features": sorted(v.features), "skills": sorted(v.skills),
            "fixed_cost": v.fixed_cost, "cost_per_km": v.cost_per_km, "cost_per_hour": v.cost_per_hour,
            "max_work_s": v.max_work_s, "breaks": [[_tw(b.window), b.duration_s] for b in v.breaks],
            "vehicle_type": v.vehicle_type, "speed_factor": v.speed_factor,
        } for v in problem.vehicles],
        "stops": [{
            "id": s.id, "location_index": s.location_index, "location": _loc(s.location), "service_s": s.service_s,
            "time_windows": [_tw(w) for w in s.time_windows], "demand": list(s.demand),
            "required_features": sorted(s.required_features), "required_skills": sorted(s.required_skills),
            "priority": s.priority,
        } for s in problem.stops],
    }


def problem_from_dict(data: dict[str, Any]) -> Problem:
    points = [(float(p[0]), float(p[1])) for p in data["points"]]
    m = provider_for(data["matrix"]).matrices(points, MATRIX_VEHICLE_TYPE)
    return Problem(
        depots=tuple(Depot(d["id"], d["location_index"], _unloc(d["location"]), _untw(d["time_window"]))
                     for d in data["depots"]),
        vehicles=tuple(Vehicle(
            id=v["id"], start_index=v["start_index"], end_index=v["end_index"], capacity=tuple(v["capacity"]),
            shift=_untw(v["shift"]), features=frozenset(v["features"]), skills=frozenset(v["skills"]),  # type: ignore[arg-type]
            fixed_cost=v["fixed_cost"], cost_per_km=v["cost_per_km"], cost_per_hour=v["cost_per_hour"],
            max_work_s=v["max_work_s"], breaks=tuple(Break(_untw(w), int(d)) for w, d in v["breaks"]),  # type: ignore[arg-type]
            vehicle_type=v["vehicle_type"], speed_factor=v["speed_factor"],
        ) for v in data["vehicles"]),
        stops=tuple(Stop(
            id=s["id"], location_index=s["location_index"], location=_unloc(s["location"]), service_s=s["service_s"],
            time_windows=tuple(_untw(w) for w in s["time_windows"]),  # type: ignore[misc]
            demand=tuple(s["demand"]), required_features=frozenset(s["required_features"]),
            required_skills=frozenset(s["required_skills"]), priority=s["priority"],
        ) for s in data["stops"]),
        durations=m.durations_s, distances=m.distances_m, origin=data["origin"],
        dimension_names=tuple(data["dimension_names"]), name=data.get("name", ""),
    )


def plan_from_dict(data: dict[str, Any]) -> RoutePlan:
    routes = tuple(Route(
        vehicle_id=r["vehicle_id"],
        visits=tuple(Visit(v["stop_id"], v["arrival"], v["wait"], v["service_start"], v["departure"],
                           tuple(v["load_after"]), v.get("location_index", -1)) for v in r["visits"]),
        distance_m=r["distance_m"], duration_s=r["duration_s"], cost=r["cost"], start_time=r["start_time"],
        end_time=r["end_time"], breaks_taken=tuple(BreakTaken(b["start"], b["duration_s"]) for b in r["breaks_taken"]),
    ) for r in data["routes"])
    return RoutePlan(routes=routes, unassigned=tuple(Unassigned(u["stop_id"], u["reason"], u.get("message", ""))
                                                     for u in data["unassigned"]),
                     objective=data["objective"], backend=data["backend"], solve_time_s=data["solve_time_s"],
                     notes=tuple(data.get("notes", ())))
