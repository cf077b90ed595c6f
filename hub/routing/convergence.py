"""When OR-Tools' search has converged: a search monitor that ends it once the objective has not improved for a
while (`until_converged` plans, hub/routing/solve.py). PyVRP's side is its NoImprovement stopping criterion
(hub/routing/pyvrp_fleet.py `stop_after`)."""

from __future__ import annotations

import time

from ortools.constraint_solver import pywrapcp

# Guided local search has converged when it found nothing cheaper for this share of the time limit (at
# least a second). OR-Tools' own improvement-rate limit never fires on a day solved at once (no improvements
# to measure a rate from): it ran a 12-stop day for the whole 60 s.
CONVERGED_STALL_SHARE = 0.15


class StopWhenStalled:
    """A search monitor pair: remember when the objective last improved, and end the search once it has not
    for `stall_s` seconds."""

    def __init__(self, routing: pywrapcp.RoutingModel, stall_s: float) -> None:
        self.routing, self.stall_s = routing, stall_s
        self.best: int | None = None
        self.improved_at = time.perf_counter()
        routing.AddAtSolutionCallback(self._found)
        routing.AddSearchMonitor(routing.solver().CustomLimit(self._stalled))

    def _found(self) -> None:
        cost = self.routing.CostVar().Value()
        if self.best is None or cost < self.best:
            self.best, self.improved_at = cost, time.perf_counter()

    def _stalled(self) -> bool:
        return time.perf_counter() - self.improved_at > self.stall_s


def stop_when_stalled(routing: pywrapcp.RoutingModel, time_limit_s: float) -> StopWhenStalled:
    """The monitor for a search of `time_limit_s`, attached to `routing`; the caller keeps it alive as long as
    the model (OR-Tools calls back into it)."""
    return StopWhenStalled(routing, max(1.0, time_limit_s * CONVERGED_STALL_SHARE))
