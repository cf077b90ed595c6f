"""The routing engine's one entry point: `solve(problem, time_limit_s=...) -> RoutePlan`.

backend="auto" picks PyVRP when the problem fits its model (one window per stop, no breaks, no
pickups or pairs, no locks, features and skills shared by the whole fleet) and OR-Tools otherwise.
Measured on the 56 Solomon instances at 5 s each (bench/routing.py): PyVRP with fleet minimisation
is far closer to the best-known solutions than OR-Tools' guided local search, which is why it is
preferred whenever it can model the problem exactly.
"""

from __future__ import annotations

from hub.routing.model import Problem, RoutePlan

BACKENDS = ("auto", "ortools", "pyvrp")


def choose_backend(problem: Problem) -> str:
    # The backends import PyVRP and OR-Tools (about a second each): only a solve pays for them.
    from hub.routing.pyvrp_backend import fits

    return "pyvrp" if fits(problem) and problem.vehicles else "ortools"


def solve(problem: Problem, *, time_limit_s: float, backend: str = "auto", workers: int = 1) -> RoutePlan:
    """Plan routes for `problem` within about `time_limit_s` seconds of wall time.

    Every stop is either on a route or in `unassigned` with a reason code. `workers` > 1 runs that
    many PyVRP searches (different seeds) in parallel processes and keeps the best; OR-Tools'
    routing search is single-threaded and ignores it.
    """
    if time_limit_s <= 0:
        raise ValueError("time_limit_s must be positive")
    if backend not in BACKENDS:
        raise ValueError(f"unknown backend {backend!r}; choose one of {', '.join(BACKENDS)}")
    chosen = choose_backend(problem) if backend == "auto" else backend
    if chosen == "pyvrp":
        from hub.routing.pyvrp_backend import solve_pyvrp  # deferred: PyVRP is heavy to import

        return solve_pyvrp(problem, time_limit_s=time_limit_s, workers=workers)
    from hub.routing.ortools_backend import solve_ortools  # deferred: OR-Tools is heavy to import

    return solve_ortools(problem, time_limit_s=time_limit_s)
