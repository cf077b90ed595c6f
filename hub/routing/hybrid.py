"""Breaks: PyVRP plans the day without them, OR-Tools places them starting from PyVRP's routes.

PyVRP 0.14 has no break model. Its search is much stronger than OR-Tools' guided local search on
the rest of the day (fleet size above all), so it solves the relaxation: no breaks, each shift and
working-time limit shortened by the breaks it owes, which leaves most routes room for them. OR-Tools,
which models breaks exactly, then keeps those routes as chains, re-inserts whatever no longer fits
and improves the whole plan for the rest of the time limit. Every constraint is OR-Tools' to honour,
so the plan is exact even when the relaxation was not.
"""

from __future__ import annotations

import dataclasses
import time

from hub.routing.model import Problem, RoutePlan, TimeWindow
from hub.routing.ortools_backend import WarmStart, solve_ortools
from hub.routing.pyvrp_backend import solve_pyvrp

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


def solve_hybrid(problem: Problem, *, time_limit_s: float, workers: int = 1) -> RoutePlan:
    t0 = time.perf_counter()
    first = solve_pyvrp(relax(problem), time_limit_s=time_limit_s * RELAXATION_SHARE, workers=workers)
    warm = WarmStart(routes={r.vehicle_id: tuple(v.stop_id for v in r.visits) for r in first.routes if r.visits})
    plan = solve_ortools(problem, time_limit_s=max(0.1, time_limit_s - (time.perf_counter() - t0)), warm=warm)
    note = (f"PyVRP planned the day without breaks ({first.vehicles_used} vehicles); "
            f"OR-Tools placed the breaks starting from those routes")
    return dataclasses.replace(plan, backend="pyvrp+ortools", solve_time_s=time.perf_counter() - t0,
                               notes=plan.notes + (note,))
