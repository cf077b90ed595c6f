"""Fleet minimisation for the PyVRP backend: the fewest vehicles PyVRP finds a feasible plan with.

Like pyvrp.minimise_fleet (retry with one vehicle fewer until infeasible), but it returns the last
feasible routes to warm-start the cost phase, and it handles several vehicle types: after each feasible
plan every type keeps the vehicles it used, and the unlocked type with the most routes gives up one,
down to none at all (a type left without vehicles is left out of the data, with its break clients).
Locked vehicles are never removed: their prefixes are driven anyway.
"""

from __future__ import annotations

import time

import numpy as np
import pyvrp
from pyvrp import PenaltyParams
from pyvrp.stop import FirstFeasible, MaxRuntime, MultipleCriteria, NoImprovement

from hub.routing.pyvrp_model import MAX, Routes, Sized, Translation

# Up to this many stops, each fleet-reduction step restarts from a random solution (cheap below
# ~0.1 s at 100 stops); above it the previous routes minus the smallest one seed the next step.
RANDOM_RESTART_MAX = 400
# Days with breaks and more routes than this seed each fleet step with the previous plan, whose breaks are
# then mostly placed (14 Solomon instances at 5 s: +1.50 vehicles over BKS, +1.64 from random starts);
# with few long routes (Solomon's 2-series) random starts found smaller fleets (RC202: 3 vehicles, not 4).
SEEDED_BREAK_ROUTES = 6


def params(data: pyvrp.ProblemData) -> pyvrp.SolveParams:
    """PyVRP caps its penalty per unit of excess load or time warp (10^5 by default). Every vehicle costs
    `big` (more than any saving in distance and time, so fewer vehicles win); under that cap, overloading
    one van was cheaper than starting a second, and a plain 20-stop day over a 24 h shift came back
    infeasible. The cap must exceed a vehicle's cost."""
    fixed = max((data.vehicle_type(k).fixed_cost for k in range(data.num_vehicle_types)), default=0)
    return pyvrp.SolveParams(penalty=PenaltyParams(max_penalty=max(PenaltyParams().max_penalty, 2.0 * fixed)))


def stop_after(seconds: float, stall: int | None, *, first_feasible: bool = False) -> MultipleCriteria:
    """The time left, and (with `stall`) as many iterations without a better solution: a search that has
    converged, or a fleet step that cannot become feasible, ends there instead of at the deadline."""
    criteria = [MaxRuntime(max(0.01, seconds))]
    if stall:
        criteria.append(NoImprovement(stall))
    if first_feasible:
        criteria.insert(0, FirstFeasible())
    return MultipleCriteria(criteria)


def lower_bound(tr: Translation) -> int:
    """Vehicles needed at least, with one vehicle type: by load in each of the stops' dimensions, and by
    work time (every stop's service plus its cheapest incoming arc) over one shift. Reaching it ends
    fleet minimisation early. With several types, 1 (no early end)."""
    data = tr.data
    if data.num_vehicle_types != 1:
        return 1
    vt = data.vehicle_type(0)
    bound = 1
    n = len(tr.client_stop)
    single = [c for c in data.clients()[:n] if c.group is None]  # a stop with several windows has several copies
    for k in range(data.num_load_dimensions - tr.break_dims):
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


def missing_breaks(tr: Translation, routes: Routes) -> int:
    """Routes of a vehicle type that owes a break, with stops but without their break client."""
    owing = set(tr.break_type)
    return sum(1 for visits, t in routes if t in owing and not any(map(tr.is_break, visits))
               and not all(map(tr.is_break, visits)))


# A fleet step whose first feasible plan leaves a break out keeps searching from it in chunks this long,
# until BREAK_PATIENCE chunks in a row place no more breaks: a break is optional to PyVRP (a prize), so
# feasible alone does not mean every driver rests; a step that stops placing them has too few vehicles.
BREAK_CHUNK_S = 0.25
BREAK_PATIENCE = 2


def _with_breaks(tr: Translation, sized: Sized, sol: pyvrp.Solution, deadline: float, seed: int) -> Routes | None:
    routes = tr.routes(sized, sol)
    missing = missing_breaks(tr, routes)
    patience = BREAK_PATIENCE
    while missing and time.perf_counter() < deadline:
        chunk = min(BREAK_CHUNK_S, deadline - time.perf_counter())
        sol = pyvrp.solve(sized.data, stop=MaxRuntime(max(0.01, chunk)), seed=seed, collect_stats=False,
                          display=False, params=params(sized.data), initial_solution=sol).best
        routes = tr.routes(sized, sol)
        now = missing_breaks(tr, routes) if sol.is_feasible() else missing
        patience = patience - 1 if now >= missing else BREAK_PATIENCE
        if patience == 0:
            return None
        missing = min(missing, now)
    return None if missing else routes


def _seed_routes(best: Routes, counts: list[int]) -> Routes:
    """The previous plan cut to `counts`: each type keeps its longest routes (one fewer leaves the
    smallest route's stops for the search to re-insert)."""
    by_type: dict[int, Routes] = {}
    for visits, t in best:
        by_type.setdefault(t, []).append((visits, t))
    return [r for t, rs in by_type.items() for r in sorted(rs, key=lambda r: -len(r[0]))[:counts[t]]]


def minimise_fleet(tr: Translation, seconds: float, seed: int, locked: set[int], stall: int | None = None,
                   start: Routes | None = None) -> tuple[Sized, Routes | None]:
    """The smallest fleet found in `seconds` and its routes (None when no feasible plan was found).
    `start`: a feasible-looking plan to begin with; its fleet (per type) is the first one tried.
    Small instances restart from random solutions (better fleets: 276 vs 284 vehicles on 14 hard
    Solomon instances x 2 seeds at 2.5 s); large ones drop the smallest route instead, since each
    random start costs ~6 s at 2,000 stops, and so do days with breaks and many routes
    (SEEDED_BREAK_ROUTES). Measured on RC101 at 5 s: features 16 vehicles, locks 17
    without this step."""
    deadline = time.perf_counter() + seconds
    full = tr.counts
    counts = list(full)
    if start is not None:
        counts = [full[t] if t in locked else min(full[t], sum(1 for _, k in start if k == t)) for t in range(len(full))]
    bound = lower_bound(tr)
    best: tuple[Sized, Routes] | None = None
    init = start
    while time.perf_counter() < deadline:
        sized = tr.sized(counts)
        first = tr.solution(sized, init) if init is not None else None
        stop = stop_after(deadline - time.perf_counter(), stall, first_feasible=True)
        res = pyvrp.solve(sized.data, stop=stop, seed=seed, collect_stats=False, display=False,
                          params=params(sized.data), initial_solution=first)
        routes = tr.routes(sized, res.best)
        if tr.break_type and res.best.is_feasible() and missing_breaks(tr, routes):
            routes = _with_breaks(tr, sized, res.best, deadline, seed)
        if not res.best.is_feasible() or routes is None:
            break
        best = (sized, routes)
        used = [sum(1 for visits, k in routes if k == t and not all(map(tr.is_break, visits))) for t in range(len(full))]
        counts = [full[t] if t in locked else used[t] for t in range(len(full))]
        shrink = [t for t in range(len(full)) if t not in locked and counts[t] > 0]
        if sum(counts) <= bound or not shrink:
            break
        counts[max(shrink, key=lambda t: used[t])] -= 1
        if sum(counts[t] for t in range(len(full)) if t not in locked) == 0 and not locked:
            break  # PyVRP needs at least one vehicle
        seeded = len(tr.client_stop) > RANDOM_RESTART_MAX or (tr.break_type and len(routes) > SEEDED_BREAK_ROUTES)
        init = _seed_routes(routes, counts) if seeded else None
    return best if best is not None else (tr.sized(full), None)
