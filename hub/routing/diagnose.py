"""Why a stop cannot be, or was not, served: one reason code (model.REASONS) and a human message.

`static_reason` runs before solving (a stop no vehicle could serve alone is never given to a solver);
`dropped_reason` runs after, for stops the solver left out.
"""

from __future__ import annotations

from collections.abc import Collection

from hub.routing.breaks import place_break
from hub.routing.model import Break, Problem, Stop, Unassigned, Vehicle, eligible
from hub.routing.schedule import earliest_start


def _fits_alone(problem: Problem, stop: Stop, v: Vehicle) -> str | None:
    """None if this vehicle could serve the stop on an otherwise empty route, else a reason code."""
    dur = problem.duration_matrix(v)
    there = dur[v.start_index][stop.location_index]
    begin = earliest_start(stop, v, v.shift.start + there)
    if begin is None:
        return "window_unreachable"
    if len(v.breaks) == 1:  # exact: the break may also wait with the driver, or go before leaving
        return None if place_break(problem, v, [stop.id], v.shift.start) else "shift_too_short"
    back = begin + stop.service_s + dur[stop.location_index][v.end_index]
    span = there + stop.service_s + dur[stop.location_index][v.end_index]
    leave = begin - there
    breaks = sum(b.duration_s for b in v.breaks if not _off_route(b, v, leave, back))
    if back + breaks > v.shift.end:
        return "shift_too_short"
    if v.max_work_s is not None and span + breaks > v.max_work_s:
        return "shift_too_short"
    return None


def _off_route(b: Break, v: Vehicle, leave: int, back: int) -> bool:
    """The break can be taken before the driver leaves or after they are back, not on the way."""
    before = max(v.shift.start, b.window.start)
    after = max(back, b.window.start)
    return (before <= b.window.end and before + b.duration_s <= leave) or \
        (after <= b.window.end and after + b.duration_s <= v.shift.end)


def static_reason(problem: Problem, stop: Stop, vehicles: Collection[Vehicle] | None = None) -> Unassigned | None:
    fleet = list(problem.vehicles if vehicles is None else vehicles)
    if stop.locked_vehicle is not None:
        fleet = [v for v in fleet if v.id == stop.locked_vehicle]
        if not fleet:
            return Unassigned(stop.id, "locked_vehicle_unavailable", f"locked to unknown vehicle {stop.locked_vehicle}")
    with_features = [v for v in fleet if stop.required_features <= v.features]
    if not with_features:
        need = ", ".join(sorted(stop.required_features))
        return Unassigned(stop.id, "no_vehicle_with_features", f"no vehicle has the features: {need}")
    able = [v for v in with_features if stop.required_skills <= v.skills]
    if not able:
        need = ", ".join(sorted(stop.required_skills))
        return Unassigned(stop.id, "skills", f"no vehicle with the right features has a driver with skills: {need}")
    demand = problem.demand_of(stop)
    roomy = [v for v in able if all(d <= c for d, c in zip(demand, v.capacity))]
    if not roomy:
        dims = ", ".join(f"{n}={d}" for n, d in zip(problem.dimension_names, demand))
        return Unassigned(stop.id, "capacity", f"demand ({dims}) exceeds the capacity of every eligible vehicle")
    reasons = [_fits_alone(problem, stop, v) for v in roomy]
    if all(r is not None for r in reasons):
        if "shift_too_short" in reasons:
            return Unassigned(stop.id, "shift_too_short",
                              "a window is reachable but no shift or working-time limit leaves time to serve and return")
        windows = ", ".join(f"{w.start}-{w.end}" for w in stop.time_windows)
        return Unassigned(stop.id, "window_unreachable",
                          f"no eligible vehicle can arrive within the windows ({windows}) during its shift")
    if stop.pair_id is not None:
        partners = [s for s in problem.stops if s.pair_id == stop.pair_id and s.id != stop.id]
        if len(partners) != 1 or partners[0].kind == stop.kind:
            return Unassigned(stop.id, "pair_incomplete", f"pair {stop.pair_id} needs exactly one pickup and one delivery")
    return None


def dropped_reason(problem: Problem, stop: Stop, used_vehicles: Collection[str]) -> Unassigned:
    found = static_reason(problem, stop)
    if found is not None:
        return found
    able = [v for v in problem.vehicles if eligible(stop, v)]
    if all(v.id in used_vehicles for v in able):
        return Unassigned(stop.id, "no_capacity_left",
                          "every eligible vehicle is already busy; the stop does not fit alongside higher-value stops")
    return Unassigned(stop.id, "dropped_for_cost",
                      "serving it costs more than its drop penalty (raise its priority) or no room was found in time")
