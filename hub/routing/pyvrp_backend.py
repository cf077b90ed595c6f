"""PyVRP backend (0.14): capacitated routing with time windows (several per stop), several depots, vehicle
types with their own speed profiles, features and skills held by part of the fleet, locked route
prefixes, shifts, working-time limits and one break per vehicle (hub/routing/pyvrp_model.py says how).
Days with breaks it cannot model (several per vehicle, or on a vehicle with locked stops) go through
`solve_hybrid`: PyVRP plans without them, OR-Tools finishes with them.

`fits(problem)` says whether a problem is inside what this backend models. The fleet is first minimised
(hierarchical objective: vehicles, then cost; hub/routing/pyvrp_fleet.py), then the remaining time
improves cost with that fleet.
"""

from __future__ import annotations

import dataclasses
import logging
import multiprocessing as mp
import time
import warnings
from multiprocessing.connection import Connection

import numpy as np
import pyvrp

from hub.routing.breaks import split_unplaced
from hub.routing.diagnose import dropped_reason, static_reason
from hub.routing.model import Problem, RoutePlan, Stop, TimeWindow, Unassigned, eligible
from hub.routing.pyvrp_fleet import minimise_fleet, params, stop_after
from hub.routing.pyvrp_model import Routes, Translation, build, extract, locked_prefixes, unit_costs
from hub.routing.schedule import empty_route

# Share of the time budget spent minimising the fleet before optimising cost with it. Measured on
# the 56 Solomon instances at 5 s: 0.3 gave +0.11 vehicles / 0.58 % distance gap, 0.5 gave +0.09 /
# 0.80 %; vehicles rank first, and the distance target (1.5 %) leaves room, so 0.6.
FLEET_SHARE = 0.6
# Share of the time limit for the first-windows-only plan that seeds a day with several windows per
# stop; the rest searches all windows from it. Half: the seed must reach the plain fleet size first.
FIRST_WINDOW_SHARE = 0.5
# Share of the time limit for the plan that seeds a part-fleet day (features, skills): every vehicle
# may serve every stop there, so it reaches the plain fleet size; half, as for several windows.
ALL_SERVE_SHARE = 0.5
# Iterations without a better solution after which a search phase has converged (until_converged). Measured
# at a 10 s limit (load 9 on 2 cores): a 30-stop day 1.6 s instead of 10, same plan; C101, R101 same plans
# in 2.7 and 3.3 s; R205 and RC201 within 6 % and 1.2 % of the full-limit cost, same vehicles.
CONVERGED_ITERATIONS = 100

logging.getLogger("pyvrp").setLevel(logging.WARNING)


def unsupported(problem: Problem) -> list[str]:
    """Reasons this backend cannot model the problem exactly (empty list = it fits). Several windows,
    part-fleet features and skills, locked prefixes and one break per vehicle are modelled
    (hub/routing/pyvrp_model.py)."""
    why: list[str] = []
    locked_to = {s.locked_vehicle for s in problem.stops}
    if any(len(v.breaks) > 1 or (v.breaks and v.id in locked_to) for v in problem.vehicles):
        why.append("breaks")  # several per vehicle, or on a vehicle whose day is already under way
    if any(s.pair_id is not None for s in problem.stops):
        why.append("pickup-and-delivery pairs")
    if any(s.kind == "pickup" for s in problem.stops):
        why.append("pickups")
    if locked_prefixes(problem) is None:
        why.append("locks that are not a prefix of their vehicle's route")
    return why


def fits(problem: Problem) -> bool:
    return not unsupported(problem)


def _solve(data: pyvrp.ProblemData, seconds: float, seed: int, init: pyvrp.Solution | None = None,
           stall: int | None = None) -> pyvrp.Solution:
    res = pyvrp.solve(data, stop=stop_after(seconds, stall), seed=seed, collect_stats=False, display=False,
                      params=params(data), initial_solution=init)
    return res.best


def _as_routes(plan: RoutePlan, tr: Translation, type_of: dict[str, int]) -> Routes:
    """A plan of a simpler version of the day as routes of `tr` (each stop in its first window's client,
    the route's break where it was taken), on the vehicle types `type_of` gives."""
    first_copy: dict[str, int] = {}
    for k, stop in enumerate(tr.client_stop):
        first_copy.setdefault(stop.id, k)
    routes: Routes = []
    for r in plan.routes:
        visits = [first_copy[v.stop_id] for v in r.visits if v.stop_id in first_copy]
        if not visits:
            continue
        t = type_of[r.vehicle_id]
        if r.breaks_taken and tr.break_type:
            at = sum(1 for v in r.visits if v.stop_id in first_copy and v.departure <= r.breaks_taken[0].start)
            visits.insert(at, tr.break_at(t, visits[at] if at < len(visits) else None))
        routes.append((visits, t))
    return routes


def _first_windows_start(problem: Problem, tr: Translation, time_limit_s: float, seed: int, fleet_share: float,
                         notes: list[str], stall: int | None = None) -> Routes | None:
    """With several windows per stop, a plan that keeps every stop in its first window (fleet minimised,
    FIRST_WINDOW_SHARE of the time) to start the search from: PyVRP's search over client groups alone
    did worse than the plain instance on Solomon (C201 windows 19.6 % over, C101 one van more at 5 s),
    though every plain plan is still allowed. None when no stop has several windows."""
    if tr.data.num_groups == 0:
        return None
    first = dataclasses.replace(problem, stops=tuple(dataclasses.replace(s, time_windows=s.time_windows[:1])
                                                     for s in problem.stops))
    plan = _solve_seed(first, time_limit_s * FIRST_WINDOW_SHARE, seed, fleet_share, stall)
    if plan.unassigned:
        return None
    notes.append(f"started from a plan in first windows only ({plan.vehicles_used} vehicles)")
    return _as_routes(plan, tr, {v.id: k for k, vs in enumerate(tr.members) for v in vs})


def _all_serve_start(problem: Problem, tr: Translation, time_limit_s: float, seed: int, fleet_share: float,
                     notes: list[str], stall: int | None = None) -> Routes | None:
    """With features or skills held by part of the fleet, a plan as if every vehicle could serve every
    stop (ALL_SERVE_SHARE of the time), its routes then given to vehicle types that can drive them, the
    most demanding routes first. Searching the mixed fleet from scratch left Solomon +0.41 vehicles and
    13 % longer than the plain instance at 5 s: the barred arcs hide the good plans from the search.
    None when every vehicle can serve every stop, or some vehicle is locked."""
    needy = {s.id for s in problem.stops if s.required_features or s.required_skills}
    if not needy or tr.prefixes or len(tr.members) < 2:
        return None
    anyone = dataclasses.replace(problem, vehicles=tuple(
        dataclasses.replace(v, features=frozenset(), skills=frozenset()) for v in problem.vehicles), stops=tuple(
        dataclasses.replace(s, required_features=frozenset(), required_skills=frozenset()) for s in problem.stops))
    plan = _solve_seed(anyone, time_limit_s * ALL_SERVE_SHARE, seed, fleet_share, stall)
    if plan.unassigned:
        return None
    left = [len(vs) for vs in tr.members]
    type_of: dict[str, int] = {}
    used = sorted((r for r in plan.routes if r.visits), key=lambda r: -sum(v.stop_id in needy for v in r.visits))
    for r in used:
        stops = [problem.stop(v.stop_id) for v in r.visits]
        fits = [k for k in range(len(left)) if left[k] and all(eligible(s, tr.members[k][0]) for s in stops)]
        if not fits:  # no type left that serves all its stops: the one serving most, for the search to repair
            fits = [max((k for k in range(len(left)) if left[k]),
                        key=lambda k: sum(eligible(s, tr.members[k][0]) for s in stops), default=None)]
            if fits[0] is None:
                continue
        k = min(fits, key=lambda k: len(tr.members[k][0].features) + len(tr.members[k][0].skills))
        left[k] -= 1
        type_of[r.vehicle_id] = k
    notes.append(f"started from a plan where every vehicle serves every stop ({plan.vehicles_used} vehicles)")
    kept = dataclasses.replace(plan, routes=tuple(r for r in plan.routes if r.vehicle_id in type_of))
    return _as_routes(kept, tr, type_of)


def _child(problem: Problem, time_limit_s: float, seed: int, fleet_share: float, stall: int | None,
           conn: Connection) -> None:
    try:
        conn.send(_solve_seed(problem, time_limit_s, seed, fleet_share, stall))
    except BaseException as exc:  # the parent only needs to know this seed gave nothing
        conn.send(exc)
    finally:
        conn.close()


RESTLESS = "its route left no room for the driver's break and no spare vehicle could take half of it"
# Extra seconds OR-Tools gets to re-plan, from PyVRP's routes, a day where some route left no room for its
# break (PyVRP spent the whole limit): a fifth of the limit, at least one second to re-insert the stops.
RESCUE_SHARE, RESCUE_MIN_S = 0.2, 1.0


def _ortools_from(plan: RoutePlan, problem: Problem, time_limit_s: float, until_converged: bool) -> RoutePlan:
    """OR-Tools, which models breaks exactly, on `problem`, keeping `plan`'s routes as chains to start from."""
    from hub.routing.ortools_backend import WarmStart, solve_ortools  # deferred: OR-Tools is heavy to import

    warm = WarmStart(routes={r.vehicle_id: tuple(v.stop_id for v in r.visits) for r in plan.routes if r.visits})
    return solve_ortools(problem, time_limit_s=time_limit_s, warm=warm, until_converged=until_converged)


def _rescue(problem: Problem, plan: RoutePlan, time_limit_s: float, until_converged: bool) -> RoutePlan:
    """OR-Tools from PyVRP's routes when some stops lost theirs to a break that did not fit: a plan that
    serves every stop beats a shorter one that does not."""
    if not any(u.message == RESTLESS for u in plan.unassigned):
        return plan
    fixed = _ortools_from(plan, problem, max(RESCUE_MIN_S, RESCUE_SHARE * time_limit_s), until_converged)
    if len(fixed.unassigned) >= len(plan.unassigned):
        return plan
    note = f"{len(plan.unassigned)} stops lost to breaks that did not fit; OR-Tools re-planned from PyVRP's routes"
    return dataclasses.replace(fixed, backend="pyvrp+ortools", solve_time_s=plan.solve_time_s + fixed.solve_time_s,
                               notes=plan.notes + fixed.notes + (note,))


def solve_pyvrp(problem: Problem, *, time_limit_s: float, seed: int = 0, fleet_share: float = FLEET_SHARE,
                workers: int = 1, until_converged: bool = False) -> RoutePlan:
    """With workers > 1, as many seeds run in parallel processes and the best plan wins (fewest
    unassigned, then vehicles, then cost). PyVRP itself is single-threaded. `until_converged`: each search
    phase also ends after CONVERGED_ITERATIONS without a better solution."""
    converged_after = CONVERGED_ITERATIONS if until_converged else None
    t0 = time.perf_counter()
    if workers <= 1:
        return _rescue(problem, _solve_seed(problem, time_limit_s, seed, fleet_share, converged_after), time_limit_s,
                       until_converged)
    ctx = mp.get_context("fork" if "fork" in mp.get_all_start_methods() else "spawn")
    children = []
    for k in range(1, workers):
        recv, send = ctx.Pipe(duplex=False)
        proc = ctx.Process(target=_child, args=(problem, time_limit_s, seed + k, fleet_share, converged_after, send), daemon=True)
        proc.start()
        send.close()
        children.append((proc, recv))
    plans = [_solve_seed(problem, time_limit_s, seed, fleet_share, converged_after)]
    for proc, recv in children:
        # a child gets its own budget plus a grace period for start-up and reporting
        if recv.poll(max(1.0, time_limit_s + 10 - (time.perf_counter() - t0))):
            got = recv.recv()
            if isinstance(got, RoutePlan):
                plans.append(got)
        proc.join(timeout=1)
        if proc.is_alive():
            proc.terminate()
    best = min(plans, key=lambda p: (len(p.unassigned), p.vehicles_used, p.objective))
    best = dataclasses.replace(best, solve_time_s=time.perf_counter() - t0,
                               notes=best.notes + (f"best of {len(plans)} seeds",))
    return _rescue(problem, best, time_limit_s, until_converged)


def _solve_seed(problem: Problem, time_limit_s: float, seed: int, fleet_share: float,
                stall: int | None = None) -> RoutePlan:
    t0 = time.perf_counter()
    why = unsupported(problem)
    if why:
        raise ValueError(f"PyVRP backend cannot model: {', '.join(why)}")
    unassigned: list[Unassigned] = []
    stops: list[Stop] = []
    for s in problem.stops:
        reason = static_reason(problem, s)
        (unassigned.append(reason) if reason else stops.append(s))
    if not stops:
        return RoutePlan(tuple(empty_route(v) for v in problem.vehicles), tuple(unassigned), 0.0, "pyvrp",
                         time.perf_counter() - t0)
    span = max(v.shift.end - v.shift.start for v in problem.vehicles)
    units = unit_costs(problem)
    worst = int(np.asarray(problem.distances).max(axis=1).sum()) * max(u[0] for u in units.values())
    worst += sum(u[1] * span for u in units.values()) + max(u[2] for u in units.values())
    big = worst + 1  # one more vehicle must cost more than any saving in distance and time, whatever its fixed cost
    notes: list[str] = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # PyVRP warns when penalties saturate on tight fleets; results are checked below
        tr: Translation = build(problem, stops, big, required=True)
        sized, sol = tr.sized(tr.counts), None
        start = _first_windows_start(problem, tr, time_limit_s, seed, fleet_share, notes, stall)
        if start is not None:  # every plain plan is allowed: search all windows from it with the whole fleet
            sol = _solve(sized.data, time_limit_s - (time.perf_counter() - t0), seed, tr.solution(sized, start), stall)
        elif len(stops) > 1:
            start = _all_serve_start(problem, tr, time_limit_s, seed, fleet_share, notes, stall)
            locked = {k for k, vs in enumerate(tr.members) if vs[0].id in tr.prefixes}
            fleet_s = max(0.0, time_limit_s * fleet_share - (time.perf_counter() - t0))
            small, routes = minimise_fleet(tr, fleet_s, seed, locked, stall, start)
            if routes is not None:
                sized = small
                notes.append(f"fleet minimised to {sum(t.num_available for t in sized.data.vehicle_types())}")
                left = time_limit_s - (time.perf_counter() - t0)
                sol = _solve(sized.data, left, seed, tr.solution(sized, routes), stall)
        if sol is None:
            init = tr.solution(sized, start) if start is not None else None
            sol = _solve(sized.data, time_limit_s - (time.perf_counter() - t0), seed, init, stall)
        if not sol.is_feasible():
            # Not every stop fits: let PyVRP drop stops, each at a prize that grows with its priority.
            tr = build(problem, stops, big, required=False)
            sized = tr.sized(tr.counts)
            sol = _solve(sized.data, max(0.5, time_limit_s - (time.perf_counter() - t0)), seed, stall=stall)
            notes.append("not every stop fits; optional stops")
    if not sol.is_feasible():
        notes.append("PyVRP found no feasible solution")
        unassigned += [Unassigned(s.id, "dropped_for_cost", "no feasible plan found in the time limit") for s in stops]
        return RoutePlan(tuple(empty_route(v) for v in problem.vehicles), tuple(unassigned), 0.0, "pyvrp",
                         time.perf_counter() - t0, tuple(notes))
    routes, served, unplaced = extract(problem, tr, sized, sol)
    if unplaced:
        routes, split = split_unplaced(problem, routes, unplaced)
        served.update(sid for ids in split for sid in ids)
        notes.append(f"{len(split)} of {len(unplaced)} routes whose break did not fit were split in two")
    used = {r.vehicle_id for r in routes if r.visits}
    restless = {sid for v, ids in unplaced for sid in ids} - served
    unassigned += [Unassigned(s.id, "dropped_for_cost", RESTLESS) if s.id in restless else dropped_reason(problem, s, used)
                   for s in stops if s.id not in served]
    objective = sum(r.cost for r in routes)
    return RoutePlan(tuple(routes), tuple(unassigned), round(objective, 4), "pyvrp", time.perf_counter() - t0,
                     tuple(notes))


# Share of the time limit PyVRP spends on the relaxation. OR-Tools needs the rest: its first phase
# re-inserts the stops the breaks pushed out, its second improves (see the README's routing table).
RELAXATION_SHARE = 0.5


def relax(problem: Problem) -> Problem:
    """The problem without breaks, every shift and working-time limit shorter by the breaks owed."""
    vehicles = []
    for v in problem.vehicles:
        owed = sum(b.duration_s for b in v.breaks)
        shift = TimeWindow(v.shift.start, max(v.shift.start, v.shift.end - owed))
        work = None if v.max_work_s is None else max(0, v.max_work_s - owed)
        vehicles.append(dataclasses.replace(v, breaks=(), shift=shift, max_work_s=work))
    return dataclasses.replace(problem, vehicles=tuple(vehicles))


def solve_hybrid(problem: Problem, *, time_limit_s: float, workers: int = 1,
                 until_converged: bool = False) -> RoutePlan:
    """Breaks beyond PyVRP's model (several per vehicle, or one on a vehicle with locked stops): PyVRP plans
    the day without them, OR-Tools places them starting from PyVRP's routes.

    PyVRP's search is much stronger than OR-Tools' guided local search on the rest of the day (fleet
    size above all), so it solves the relaxation: no breaks,
    each shift and working-time limit shortened by the breaks owed, which leaves most routes room for
    them. OR-Tools, which models breaks exactly, keeps those routes as chains, re-inserts whatever no
    longer fits and improves the whole plan for the rest of the time limit: every constraint is
    OR-Tools' to honour, so the plan is exact even where the relaxation was not.
    """
    t0 = time.perf_counter()
    first = solve_pyvrp(relax(problem), time_limit_s=time_limit_s * RELAXATION_SHARE, workers=workers,
                        until_converged=until_converged)
    plan = _ortools_from(first, problem, max(0.1, time_limit_s - (time.perf_counter() - t0)), until_converged)
    note = (f"PyVRP planned the day without breaks ({first.vehicles_used} vehicles); "
            f"OR-Tools placed the breaks starting from those routes")
    return dataclasses.replace(plan, backend="pyvrp+ortools", solve_time_s=time.perf_counter() - t0,
                               notes=plan.notes + (note,))
