"""PyVRP backend (0.14): capacitated routing with time windows (several per stop), several depots, vehicle
types with their own speed profiles, features and skills held by part of the fleet, locked route
prefixes, shifts and working-time limits. Days with breaks go through `solve_hybrid`: PyVRP plans
without them, OR-Tools finishes with them.

`fits(problem)` says whether a problem is inside what this backend models. With a single vehicle
type and every stop servable, the fleet is first minimised (hierarchical objective: vehicles, then
cost), then the remaining time improves cost with that fleet.
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
from pyvrp import PenaltyParams
from pyvrp.stop import FirstFeasible, MaxRuntime, MultipleCriteria, NoImprovement

from hub.routing.diagnose import dropped_reason, static_reason
from hub.routing.model import Problem, RoutePlan, Stop, TimeWindow, Unassigned
from hub.routing.pyvrp_model import MAX, Translation, build, extract, locked_prefixes, unit_costs
from hub.routing.schedule import empty_route

# Share of the time budget spent minimising the fleet before optimising cost with it. Measured on
# the 56 Solomon instances at 5 s: 0.3 gave +0.11 vehicles / 0.58 % distance gap, 0.5 gave +0.09 /
# 0.80 %; vehicles rank first, and the distance target (1.5 %) leaves room, so 0.6.
FLEET_SHARE = 0.6
# Share of the time limit for the first-windows-only plan that seeds a day with several windows per
# stop; the rest searches all windows from it. Half: the seed must reach the plain fleet size first.
FIRST_WINDOW_SHARE = 0.5
# Up to this many stops, each fleet-reduction step restarts from a random solution (cheap below
# ~0.1 s at 100 stops); above it the previous routes minus the smallest one seed the next step.
RANDOM_RESTART_MAX = 400
# Iterations without a better solution after which a search phase has converged (until_converged). Measured
# at a 10 s limit (load 9 on 2 cores): a 30-stop day 1.6 s instead of 10, same plan; C101, R101 same plans
# in 2.7 and 3.3 s; R205 and RC201 within 6 % and 1.2 % of the full-limit cost, same vehicles.
CONVERGED_ITERATIONS = 100

logging.getLogger("pyvrp").setLevel(logging.WARNING)


def unsupported(problem: Problem) -> list[str]:
    """Reasons this backend cannot model the problem exactly (empty list = it fits). Several windows,
    part-fleet features and skills, and locked prefixes are modelled (hub/routing/pyvrp_model.py)."""
    why: list[str] = []
    if any(v.breaks for v in problem.vehicles):
        why.append("breaks")
    if any(s.pair_id is not None for s in problem.stops):
        why.append("pickup-and-delivery pairs")
    if any(s.kind == "pickup" for s in problem.stops):
        why.append("pickups")
    if locked_prefixes(problem) is None:
        why.append("locks that are not a prefix of their vehicle's route")
    return why


def fits(problem: Problem) -> bool:
    return not unsupported(problem)


def _params(data: pyvrp.ProblemData) -> pyvrp.SolveParams:
    """PyVRP caps its penalty per unit of excess load or time warp (10^5 by default). Every vehicle costs
    `big` (more than any saving in distance and time, so fewer vehicles win); under that cap, overloading
    one van was cheaper than starting a second, and a plain 20-stop day over a 24 h shift came back
    infeasible. The cap must exceed a vehicle's cost."""
    fixed = max((data.vehicle_type(k).fixed_cost for k in range(data.num_vehicle_types)), default=0)
    return pyvrp.SolveParams(penalty=PenaltyParams(max_penalty=max(PenaltyParams().max_penalty, 2.0 * fixed)))


def _stop(seconds: float, stall: int | None, *, first_feasible: bool = False) -> MultipleCriteria:
    """The time left, and (with `stall`) as many iterations without a better solution: a search that has
    converged, or a fleet step that cannot become feasible, ends there instead of at the deadline."""
    criteria = [MaxRuntime(max(0.01, seconds))]
    if stall:
        criteria.append(NoImprovement(stall))
    if first_feasible:
        criteria.insert(0, FirstFeasible())
    return MultipleCriteria(criteria)


def _solve(data: pyvrp.ProblemData, seconds: float, seed: int, init: pyvrp.Solution | None = None,
           stall: int | None = None) -> pyvrp.Solution:
    res = pyvrp.solve(data, stop=_stop(seconds, stall), seed=seed, collect_stats=False, display=False,
                      params=_params(data), initial_solution=init)
    return res.best


def _routes(sol: pyvrp.Solution) -> list[list[int]]:
    return [[a.idx for a in r.schedule() if a.is_client()] for r in sol.routes()]


def _fleet_lower_bound(data: pyvrp.ProblemData) -> int:
    """Vehicles needed at least: by load in each dimension, and by work time (every client's service
    plus its cheapest incoming arc) over one shift. Reaching it ends fleet minimisation early."""
    vt = data.vehicle_type(0)
    bound = 1
    single = [c for c in data.clients() if c.group is None]  # a stop with several windows has several copies
    for k in range(data.num_load_dimensions):
        total = sum(c.delivery[k] for c in single)
        bound = max(bound, -(-total // max(vt.capacity[k], 1)))
    dur = data.duration_matrix(vt.profile).copy()
    np.fill_diagonal(dur, np.iinfo(np.int64).max)
    locs = [c.location for c in single]
    work = sum(c.service_duration for c in single) + int(dur[:, locs].min(axis=0).sum())
    shift = min(vt.tw_late - vt.tw_early, vt.shift_duration)
    if 0 < shift < MAX:
        bound = max(bound, -(-work // shift))
    return bound


def _minimise_fleet(data: pyvrp.ProblemData, seconds: float, seed: int,
                    stall: int | None = None) -> tuple[pyvrp.VehicleType, list[list[int]] | None]:
    """Fewest vehicles found in `seconds`, like pyvrp.minimise_fleet (retry with one vehicle fewer until
    infeasible), but it returns the last feasible routes to warm-start the cost phase. Small instances
    restart from random solutions (better fleets: 276 vs 284 vehicles on 14 hard Solomon instances x 2
    seeds at 2.5 s); large ones drop the smallest route instead, since each random start costs ~6 s
    at 2,000 stops."""
    deadline = time.perf_counter() + seconds
    full = data.vehicle_type(0)
    bound = _fleet_lower_bound(data)
    best: list[list[int]] | None = None
    init: pyvrp.Solution | None = None
    fleet = full
    while time.perf_counter() < deadline:
        smaller = data.replace(vehicle_types=[fleet])
        if best is not None and data.num_clients > RANDOM_RESTART_MAX:
            drop = min(range(len(best)), key=lambda k: len(best[k]))
            init = pyvrp.Solution(smaller, [r for k, r in enumerate(best) if k != drop])
        stop = _stop(deadline - time.perf_counter(), stall, first_feasible=True)
        res = pyvrp.solve(smaller, stop=stop, seed=seed, collect_stats=False, display=False, params=_params(smaller),
                          initial_solution=init)
        if not res.best.is_feasible():
            break
        best = _routes(res.best)
        if len(best) <= bound:
            break
        fleet = full.replace(num_available=len(best) - 1)
    if best is None:
        return full, None
    return full.replace(num_available=len(best)), best


def _minimise_mixed_fleet(data: pyvrp.ProblemData, seconds: float, seed: int, locked: set[int],
                          stall: int | None = None) -> tuple[pyvrp.ProblemData, pyvrp.Solution | None]:
    """`_minimise_fleet` for several vehicle types (part-fleet features, locked vehicles). After each
    feasible plan every type keeps the vehicles it used, and the unlocked type with the most routes
    gives up one; the first step that finds no feasible plan ends it. Locked vehicles are never
    removed (their prefixes are driven anyway) and a type keeps at least one vehicle (PyVRP's minimum).
    Measured on RC101 at 5 s: features 16 vehicles, locks 17 without this step."""
    deadline = time.perf_counter() + seconds
    types = list(data.vehicle_types())
    counts = [t.num_available for t in types]
    best: tuple[pyvrp.ProblemData, list[tuple[list[int], int]]] | None = None
    while time.perf_counter() < deadline:
        smaller = data.replace(vehicle_types=[t.replace(num_available=c) for t, c in zip(types, counts)])
        init = None
        if best is not None and data.num_clients > RANDOM_RESTART_MAX:
            kept = [(v, k) for v, k in best[1] if counts[k] >= 1]
            by_type: dict[int, list[tuple[list[int], int]]] = {}
            for v, k in kept:
                by_type.setdefault(k, []).append((v, k))
            trimmed = [r for k, rs in by_type.items() for r in sorted(rs, key=lambda r: -len(r[0]))[:counts[k]]]
            init = pyvrp.Solution(smaller, [pyvrp.Route(smaller, v, k) for v, k in trimmed])
        stop = _stop(deadline - time.perf_counter(), stall, first_feasible=True)
        res = pyvrp.solve(smaller, stop=stop, seed=seed, collect_stats=False, display=False, params=_params(smaller),
                          initial_solution=init)
        if not res.best.is_feasible():
            break
        routes = [([a.idx for a in r.schedule() if a.is_client()], r.vehicle_type()) for r in res.best.routes()]
        best = (smaller, routes)
        used = [sum(1 for _, k in routes if k == t) for t in range(len(types))]
        counts = [counts[t] if t in locked else max(1, used[t]) for t in range(len(types))]
        shrink = [t for t in range(len(types)) if t not in locked and counts[t] > 1 and used[t] == counts[t]]
        if not shrink:
            break
        counts[max(shrink, key=lambda t: used[t])] -= 1
    if best is None:
        return data, None
    small, routes = best
    return small, pyvrp.Solution(small, [pyvrp.Route(small, v, k) for v, k in routes])


def _first_windows_start(problem: Problem, tr: Translation, time_limit_s: float, seed: int, fleet_share: float,
                         notes: list[str], stall: int | None = None) -> pyvrp.Solution | None:
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
    first_copy: dict[str, int] = {}
    for k, stop in enumerate(tr.client_stop):
        first_copy.setdefault(stop.id, k)
    type_of = {v.id: k for k, vs in enumerate(tr.members) for v in vs}
    routes = []
    for r in plan.routes:
        visits = [first_copy[v.stop_id] for v in r.visits if v.stop_id in first_copy]
        if visits:
            routes.append(pyvrp.Route(tr.data, visits, type_of[r.vehicle_id]))
    notes.append(f"started from a plan in first windows only ({plan.vehicles_used} vehicles)")
    return pyvrp.Solution(tr.data, routes)


def _child(problem: Problem, time_limit_s: float, seed: int, fleet_share: float, stall: int | None,
           conn: Connection) -> None:
    try:
        conn.send(_solve_seed(problem, time_limit_s, seed, fleet_share, stall))
    except BaseException as exc:  # the parent only needs to know this seed gave nothing
        conn.send(exc)
    finally:
        conn.close()


def solve_pyvrp(problem: Problem, *, time_limit_s: float, seed: int = 0, fleet_share: float = FLEET_SHARE,
                workers: int = 1, until_converged: bool = False) -> RoutePlan:
    """With workers > 1, as many seeds run in parallel processes and the best plan wins (fewest
    unassigned, then vehicles, then cost). PyVRP itself is single-threaded. `until_converged`: each search
    phase also ends after CONVERGED_ITERATIONS without a better solution."""
    converged_after = CONVERGED_ITERATIONS if until_converged else None
    t0 = time.perf_counter()
    if workers <= 1:
        return _solve_seed(problem, time_limit_s, seed, fleet_share, converged_after)
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
    return dataclasses.replace(best, solve_time_s=time.perf_counter() - t0,
                               notes=best.notes + (f"best of {len(plans)} seeds",))


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
        data = tr.data
        sol = _first_windows_start(problem, tr, time_limit_s, seed, fleet_share, notes, stall)
        if sol is not None:
            sol = _solve(data, time_limit_s - (time.perf_counter() - t0), seed, sol, stall)
        elif data.num_vehicle_types == 1 and len(stops) > 1:
            fleet, routes = _minimise_fleet(data, time_limit_s * fleet_share, seed, stall)
            if routes is not None:
                notes.append(f"fleet minimised to {fleet.num_available}")
                small = data.replace(vehicle_types=[fleet])
                sol = _solve(small, time_limit_s - (time.perf_counter() - t0), seed, pyvrp.Solution(small, routes),
                             stall)
        elif len(stops) > 1:
            locked = {k for k, vs in enumerate(tr.members) if vs[0].id in tr.prefixes}
            small, init = _minimise_mixed_fleet(data, time_limit_s * fleet_share, seed, locked, stall)
            if init is not None:
                notes.append(f"fleet minimised to {sum(t.num_available for t in small.vehicle_types())}")
                sol = _solve(small, time_limit_s - (time.perf_counter() - t0), seed, init, stall)
        if sol is None:
            sol = _solve(data, time_limit_s - (time.perf_counter() - t0), seed, stall=stall)
        if not sol.is_feasible():
            # Not every stop fits: let PyVRP drop stops, each at a prize that grows with its priority.
            tr = build(problem, stops, big, required=False)
            data = tr.data
            sol = _solve(data, max(0.5, time_limit_s - (time.perf_counter() - t0)), seed, stall=stall)
            notes.append("not every stop fits; optional stops")
    if not sol.is_feasible():
        notes.append("PyVRP found no feasible solution")
        unassigned += [Unassigned(s.id, "dropped_for_cost", "no feasible plan found in the time limit") for s in stops]
        return RoutePlan(tuple(empty_route(v) for v in problem.vehicles), tuple(unassigned), 0.0, "pyvrp",
                         time.perf_counter() - t0, tuple(notes))
    routes, served = extract(problem, tr, sol)
    used = {r.vehicle_id for r in routes if r.visits}
    unassigned += [dropped_reason(problem, s, used) for s in stops if s.id not in served]
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
    """Breaks: PyVRP plans the day without them, OR-Tools places them starting from PyVRP's routes.

    PyVRP 0.14 has no break model, and its search is much stronger than OR-Tools' guided local
    search on the rest of the day (fleet size above all), so it solves the relaxation: no breaks,
    each shift and working-time limit shortened by the breaks owed, which leaves most routes room for
    them. OR-Tools, which models breaks exactly, keeps those routes as chains, re-inserts whatever no
    longer fits and improves the whole plan for the rest of the time limit: every constraint is
    OR-Tools' to honour, so the plan is exact even where the relaxation was not.
    """
    from hub.routing.ortools_backend import WarmStart, solve_ortools  # deferred: OR-Tools is heavy to import

    t0 = time.perf_counter()
    first = solve_pyvrp(relax(problem), time_limit_s=time_limit_s * RELAXATION_SHARE, workers=workers,
                        until_converged=until_converged)
    warm = WarmStart(routes={r.vehicle_id: tuple(v.stop_id for v in r.visits) for r in first.routes if r.visits})
    plan = solve_ortools(problem, time_limit_s=max(0.1, time_limit_s - (time.perf_counter() - t0)), warm=warm,
                         until_converged=until_converged)
    note = (f"PyVRP planned the day without breaks ({first.vehicles_used} vehicles); "
            f"OR-Tools placed the breaks starting from those routes")
    return dataclasses.replace(plan, backend="pyvrp+ortools", solve_time_s=time.perf_counter() - t0,
                               notes=plan.notes + (note,))
