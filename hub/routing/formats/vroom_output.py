"""A `RoutePlan` as VROOM's JSON output (`code`, `summary`, `unassigned`, `routes` with `steps`).

VROOM semantics kept: `duration` is travel time only (cumulative on steps), `service` and
`waiting_time` are separate, `cost` = fixed + per_hour x travel hours + per_km x km (an integer),
`load` is the vehicle load after each step. Pure translation.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from hub.routing.model import BreakTaken, Route, RoutePlan, Stop, Vehicle, Visit
from hub.routing.schedule import start_load

if TYPE_CHECKING:  # the reader imports this writer; the problem type is only named here
    from hub.routing.vroom import VroomProblem


def write_vroom(vp: VroomProblem, plan: RoutePlan, *, loading_ms: int = 0, solving_ms: int = 0) -> dict[str, Any]:
    problem = vp.problem
    dims = problem.n_dims
    routes = [_route(vp, r) for r in plan.routes if r.visits]
    unassigned = [_unassigned(vp, problem.stop(u.stop_id), u.reason) for u in plan.unassigned]
    summary: dict[str, Any] = {
        "cost": sum(r["cost"] for r in routes),
        "routes": len(routes),
        "unassigned": len(unassigned),
        "delivery": _sum_vectors([r["delivery"] for r in routes], dims),
        "pickup": _sum_vectors([r["pickup"] for r in routes], dims),
        "setup": 0,
        "service": sum(r["service"] for r in routes),
        "duration": sum(r["duration"] for r in routes),
        "waiting_time": sum(r["waiting_time"] for r in routes),
        "priority": sum(r["priority"] for r in routes),
        "distance": sum(r["distance"] for r in routes),
        "violations": [],
        "computing_times": {"loading": loading_ms, "solving": solving_ms, "routing": 0},
    }
    out: dict[str, Any] = {"code": 0, "summary": summary, "unassigned": unassigned, "routes": routes}
    if vp.warnings:
        out["warnings"] = list(vp.warnings)  # not in VROOM's format: what we could not model exactly
    return out


def _route(vp: VroomProblem, route: Route) -> dict[str, Any]:
    problem = vp.problem
    vehicle = problem.vehicle(route.vehicle_id)
    durations = problem.duration_matrix(vehicle)
    stops = [problem.stop(v.stop_id) for v in route.visits]
    # An open start or end sits where the first or last task is (the open index costs nothing).
    start = route.visits[0].location_index if vehicle.start_index == vp.open_index else vehicle.start_index
    end = route.visits[-1].location_index if vehicle.end_index == vp.open_index else vehicle.end_index
    load = start_load(problem, stops)
    breaks = _break_ids(vp, vehicle, route.breaks_taken)

    steps = [_step(vp, "start", start, arrival=route.start_time, travel=0, distance=0, load=load)]
    here, travel, distance = vehicle.start_index, 0, 0
    for visit, stop in zip(route.visits, stops):
        while breaks and breaks[0][0].start < visit.service_start:
            steps.append(_break_step(breaks.pop(0), travel, distance, steps[-1]["load"]))
        travel += durations[here][visit.location_index]
        distance += problem.distances[here][visit.location_index]
        here = visit.location_index
        steps.append(_task_step(vp, visit, stop, travel, distance))
    for taken in breaks:
        steps.append(_break_step(taken, travel, distance, steps[-1]["load"]))
    travel += durations[here][vehicle.end_index]
    distance += problem.distances[here][vehicle.end_index]
    steps.append(_step(vp, "end", end, arrival=route.end_time, travel=travel, distance=distance,
                       load=steps[-1]["load"]))

    delivery = _sum_vectors([problem.demand_of(s) for s in stops if s.kind == "delivery"], problem.n_dims)
    pickup = _sum_vectors([problem.demand_of(s) for s in stops if s.kind == "pickup"], problem.n_dims)
    out: dict[str, Any] = {
        "vehicle": vp.vehicle_ids[vehicle.id],
        "cost": vroom_cost(vehicle, travel, distance),
        "delivery": delivery,
        "pickup": pickup,
        "setup": 0,
        "service": sum(s["service"] for s in steps if s["type"] not in ("start", "end")),
        "duration": travel,
        "waiting_time": sum(v.wait for v in route.visits),
        "priority": sum(s.priority for s in stops),
        "distance": distance,
        "steps": steps,
        "violations": [],
    }
    if vehicle.id in vp.vehicle_descriptions:
        out["description"] = vp.vehicle_descriptions[vehicle.id]
    return out


def vroom_cost(vehicle: Vehicle, travel_s: int, distance_m: int) -> int:
    """VROOM's route cost: fixed + per_hour per travel hour + per_km per km, as an integer."""
    return round(vehicle.fixed_cost + vehicle.cost_per_hour * travel_s / 3600 + vehicle.cost_per_km * distance_m / 1000)


def _step(vp: VroomProblem, kind: str, index: int, *, arrival: int, travel: int, distance: int,
          load: Sequence[int]) -> dict[str, Any]:
    step: dict[str, Any] = {"type": kind}
    step.update(_where(vp, index))
    step.update({"setup": 0, "service": 0, "waiting_time": 0, "load": list(load), "arrival": arrival,
                 "duration": travel, "distance": distance, "violations": []})
    return step


def _task_step(vp: VroomProblem, visit: Visit, stop: Stop, travel: int, distance: int) -> dict[str, Any]:
    ref = vp.tasks[stop.id]
    step: dict[str, Any] = {"type": ref.type}
    step.update(_where(vp, visit.location_index))
    step["id"] = ref.id
    if ref.description is not None:
        step["description"] = ref.description
    step.update({"setup": 0, "service": stop.service_s, "waiting_time": visit.wait, "load": list(visit.load_after),
                 "arrival": visit.arrival, "duration": travel, "distance": distance, "violations": []})
    return step


def _break_step(taken: tuple[BreakTaken, int], travel: int, distance: int, load: Sequence[int]) -> dict[str, Any]:
    brk, break_id = taken
    return {"type": "break", "id": break_id, "setup": 0, "service": brk.duration_s, "waiting_time": 0,
            "load": list(load), "arrival": brk.start, "duration": travel, "distance": distance, "violations": []}


def _break_ids(vp: VroomProblem, vehicle: Vehicle, taken: Sequence[BreakTaken]) -> list[tuple[BreakTaken, int]]:
    """Pair each break taken with the input break it fulfils (window and length match, input order)."""
    ids = vp.break_ids.get(vehicle.id, ())
    free = list(range(len(vehicle.breaks)))
    out: list[tuple[BreakTaken, int]] = []
    for b in sorted(taken, key=lambda b: b.start):
        match = next((i for i in free if vehicle.breaks[i].window.contains(b.start)
                      and vehicle.breaks[i].duration_s == b.duration_s), free[0] if free else None)
        if match is not None:
            free.remove(match)
        out.append((b, ids[match] if match is not None and match < len(ids) else len(out)))
    return out


def _where(vp: VroomProblem, index: int) -> dict[str, Any]:
    where: dict[str, Any] = {}
    if index in vp.coordinates:
        where["location"] = vp.coordinates[index]
    if vp.from_indices and index != vp.open_index:
        where["location_index"] = index
    return where


def _unassigned(vp: VroomProblem, stop: Stop, reason: str) -> dict[str, Any]:
    ref = vp.tasks[stop.id]
    out: dict[str, Any] = {"id": ref.id, "type": ref.type}
    out.update(_where(vp, stop.location_index))
    if ref.description is not None:
        out["description"] = ref.description
    out["reason"] = reason  # not in VROOM's format: why the hub left it out (model.REASONS)
    return out


def _sum_vectors(vectors: Sequence[Sequence[int]], dims: int) -> list[int]:
    return [sum(v[k] for v in vectors) for k in range(dims)]

