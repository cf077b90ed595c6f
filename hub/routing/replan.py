"""Re-optimise a day already under way: only what has not happened is planned again.

- Completed stops are frozen and copied to the output exactly as they happened.
- A vehicle listed in `DayState.vehicles` is on the road: it restarts from its current position and
  time with what it has on board; the deliveries it still carries stay on it (the parcels are in
  its van) and it takes no new delivery (those are loaded at a depot); it may take new pickups.
- Stops whose ETA was sent keep their service start inside the sent window.
- Cancelled stops are removed; new (urgent) stops are added; dispatcher locks pin a stop to a
  vehicle and optionally to a position among that vehicle's remaining stops (0 = next).
The previous routes warm-start OR-Tools, which then only repairs and improves them.
"""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass, field

from hub.routing.model import BreakTaken, Break, Problem, Route, RoutePlan, Stop, TimeWindow, Vehicle, Visit
from hub.routing.ortools_backend import WarmStart, solve_ortools


@dataclass(frozen=True)
class VehicleState:
    position_index: int  # matrix index where the vehicle is (or will next be free)
    time: int  # seconds from origin when it is free there
    load: tuple[int, ...]  # on board now, per dimension


@dataclass(frozen=True)
class DayState:
    vehicles: dict[str, VehicleState] = field(default_factory=dict)  # vehicles on the road
    completed: tuple[str, ...] = ()  # stop ids already served
    actual: dict[str, Visit] = field(default_factory=dict)  # how completed stops really happened, if known
    eta_sent: dict[str, TimeWindow] = field(default_factory=dict)  # stop id -> window promised
    cancelled: frozenset[str] = frozenset()
    new_stops: tuple[Stop, ...] = ()
    locks: dict[str, tuple[str, int | None]] = field(default_factory=dict)  # stop -> (vehicle, position)


def _narrow(stop: Stop, sent: TimeWindow | None) -> Stop:
    if sent is None:
        return stop
    inside = tuple(TimeWindow(max(w.start, sent.start), min(w.end, sent.end))
                   for w in stop.time_windows if max(w.start, sent.start) <= min(w.end, sent.end))
    return dataclasses.replace(stop, time_windows=inside or (sent,))


def _remaining_vehicle(v: Vehicle, st: VehicleState | None, prev: Route | None) -> Vehicle:
    if st is None:
        return v
    started = prev.start_time if prev is not None and prev.visits else st.time
    taken = prev.breaks_taken if prev is not None else ()
    done_breaks = [b for b in v.breaks if any(b.window.contains(t.start) and t.start < st.time for t in taken)]
    breaks: tuple[Break, ...] = tuple(
        dataclasses.replace(b, window=TimeWindow(max(b.window.start, st.time), b.window.end))
        for b in v.breaks if b not in done_breaks and b.window.end >= st.time
    )
    max_work = None if v.max_work_s is None else max(0, v.max_work_s - (st.time - started))
    shift = TimeWindow(min(max(v.shift.start, st.time), v.shift.end), v.shift.end)
    return dataclasses.replace(v, start_index=st.position_index, shift=shift, max_work_s=max_work, breaks=breaks)


def _merge(problem: Problem, v: Vehicle, done: list[Visit], prev: Route | None, new: Route | None,
           st: VehicleState | None) -> Route:
    if not done:
        return new if new is not None else Route(v.id, (), 0, 0, 0.0, v.shift.start, v.shift.start, ())
    dist, here = 0, v.start_index
    for vis in done:
        loc = problem.stop(vis.stop_id).location_index
        dist += problem.distances[here][loc]
        here = loc
    start = prev.start_time if prev is not None else done[0].arrival
    old_breaks = tuple(b for b in (prev.breaks_taken if prev else ()) if st is None or b.start < st.time)
    if new is not None and new.visits:
        visits = tuple(done) + new.visits
        dist += new.distance_m + (problem.distances[here][st.position_index] if st else 0)
        end = new.end_time
        breaks: tuple[BreakTaken, ...] = old_breaks + new.breaks_taken
    else:
        visits = tuple(done)
        dist += problem.distances[here][v.end_index]
        end = done[-1].departure + problem.duration_matrix(v)[here][v.end_index]
        breaks = old_breaks
    duration = end - start
    cost = v.fixed_cost + dist / 1000 * v.cost_per_km + duration / 3600 * v.cost_per_hour
    return Route(v.id, visits, dist, duration, round(cost, 4), start, end, breaks)


def replan(problem: Problem, previous_plan: RoutePlan, state: DayState, *, time_limit_s: float,
           until_converged: bool = False) -> RoutePlan:
    t0 = time.perf_counter()
    completed = set(state.completed)
    gone = completed | set(state.cancelled)
    prev_routes = {r.vehicle_id: r for r in previous_plan.routes}
    on_road = {vid for vid in state.vehicles if vid in prev_routes or any(v.id == vid for v in problem.vehicles)}

    carrying: dict[str, frozenset[str]] = {}
    carried_by: dict[str, str] = {}
    for vid in on_road:
        route = prev_routes.get(vid)
        ids = [vis.stop_id for vis in (route.visits if route else ()) if vis.stop_id not in gone]
        mine = frozenset(s for s in ids if problem.stop(s).kind == "delivery" and problem.stop(s).pair_id is None)
        carrying[vid] = mine
        carried_by.update({s: vid for s in mine})

    stops: list[Stop] = []
    for s in list(problem.stops) + list(state.new_stops):
        if s.id in gone:
            continue
        s = _narrow(s, state.eta_sent.get(s.id))
        if s.id in state.locks:
            vid, pos = state.locks[s.id]
            s = dataclasses.replace(s, locked_vehicle=vid, locked_sequence=pos)
        elif s.id in carried_by:
            s = dataclasses.replace(s, locked_vehicle=carried_by[s.id])
        stops.append(s)

    vehicles = tuple(_remaining_vehicle(v, state.vehicles.get(v.id), prev_routes.get(v.id)) for v in problem.vehicles)
    sub = dataclasses.replace(problem, vehicles=vehicles, stops=tuple(stops))
    keep = {s.id for s in stops}
    warm = WarmStart(
        routes={r.vehicle_id: tuple(vis.stop_id for vis in r.visits if vis.stop_id in keep) for r in previous_plan.routes},
        on_board={vid: state.vehicles[vid].load for vid in on_road},
        carrying=carrying,
    )
    left = max(0.05, time_limit_s - (time.perf_counter() - t0))
    plan = solve_ortools(sub, time_limit_s=left, warm=warm, until_converged=until_converged)

    new_routes = {r.vehicle_id: r for r in plan.routes}
    routes = []
    for v in problem.vehicles:
        prev = prev_routes.get(v.id)
        done = [state.actual.get(vis.stop_id, vis) for vis in (prev.visits if prev else ()) if vis.stop_id in completed]
        routes.append(_merge(problem, v, done, prev, new_routes.get(v.id), state.vehicles.get(v.id)))
    notes = plan.notes + ((f"cancelled: {', '.join(sorted(state.cancelled))}",) if state.cancelled else ())
    return RoutePlan(tuple(routes), plan.unassigned, round(sum(r.cost for r in routes), 4), "ortools+replan",
                     time.perf_counter() - t0, notes)
