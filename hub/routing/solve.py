"""The routing engine's one entry point: `solve(problem, time_limit_s=...) -> RoutePlan`.

backend="auto" picks the strongest path that models the problem exactly:
- `pyvrp` when PyVRP's model holds it (windows, several per stop; part-fleet features and skills;
  locked route prefixes; shifts and working time; one break per vehicle);
- `pyvrp+ortools` when only breaks are beyond it (several per vehicle, or on a vehicle with locked
  stops): PyVRP plans without them, OR-Tools places them;
- `ortools` otherwise (pickups, pickup-and-delivery pairs, locks that are not a route prefix).
Measured on the 56 Solomon instances at 5 s each (bench/routing.py): PyVRP with fleet minimisation
is far closer to the best-known solutions than OR-Tools' guided local search, which is why it is
preferred whenever it can model the problem exactly.
"""

from __future__ import annotations

import dataclasses

from hub.routing.model import Problem, RoutePlan

BACKENDS = ("auto", "ortools", "pyvrp", "pyvrp+ortools")


def choose_backend(problem: Problem) -> str:
    return backend_choice(problem)[0]


def backend_choice(problem: Problem) -> tuple[str, str]:
    """(backend, why) for backend="auto"."""
    # The backends import PyVRP and OR-Tools (about a second each): only a solve pays for them.
    from hub.routing.pyvrp_backend import unsupported

    if not problem.vehicles:
        return "ortools", "no vehicles"
    why = unsupported(problem)
    if not why:
        return "pyvrp", "PyVRP models every constraint of this problem exactly"
    if why == ["breaks"]:
        return "pyvrp+ortools", ("PyVRP models one break per vehicle on a day not yet under way: it plans "
                                 "without these breaks, OR-Tools places them")
    return "ortools", f"PyVRP cannot model: {', '.join(why)}"


def solve(problem: Problem, *, time_limit_s: float, backend: str = "auto", workers: int = 1,
          until_converged: bool = False) -> RoutePlan:
    """Plan routes for `problem` within about `time_limit_s` seconds of wall time.

    `until_converged`: stop before the time limit once the search stops improving, so a day solved early
    does not hold a worker for the whole limit (the hub's planner asks for it; benchmarks spend the limit).

    Every stop is either on a route or in `unassigned` with a reason code. `workers` > 1 runs that
    many PyVRP searches (different seeds) in parallel processes and keeps the best; OR-Tools'
    routing search is single-threaded and ignores it. With backend="auto" the plan's first note
    says which backend planned it and why.
    """
    if time_limit_s <= 0:
        raise ValueError("time_limit_s must be positive")
    if backend not in BACKENDS:
        raise ValueError(f"unknown backend {backend!r}; choose one of {', '.join(BACKENDS)}")
    chosen, why = backend_choice(problem) if backend == "auto" else (backend, "asked for")
    if chosen == "pyvrp":
        from hub.routing.pyvrp_backend import solve_pyvrp  # deferred: PyVRP is heavy to import

        plan = solve_pyvrp(problem, time_limit_s=time_limit_s, workers=workers, until_converged=until_converged)
    elif chosen == "pyvrp+ortools":
        from hub.routing.pyvrp_backend import solve_hybrid  # deferred: PyVRP is heavy to import

        plan = solve_hybrid(problem, time_limit_s=time_limit_s, workers=workers, until_converged=until_converged)
    else:
        from hub.routing.ortools_backend import solve_ortools  # deferred: OR-Tools is heavy to import

        plan = solve_ortools(problem, time_limit_s=time_limit_s, until_converged=until_converged)
    return dataclasses.replace(plan, notes=(f"backend {plan.backend}: {why}",) + plan.notes)
