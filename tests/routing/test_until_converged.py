"""Plans the hub makes by itself stop when the search converges instead of holding a worker for the whole
time limit; the plan is the one the full limit finds on a small day."""

from __future__ import annotations

import pytest

from hub.routing.solve import solve
from hub.routing.synthetic import generate_day

# Far above what a 12-stop day needs on any machine: the test shows the search ended on its own.
LIMIT_S = 60.0


@pytest.mark.parametrize("backend", ["pyvrp", "ortools"])
def test_a_small_day_ends_long_before_the_limit_with_the_same_fleet(backend: str) -> None:
    day = generate_day(12, 3, seed=3)
    converged = solve(day, time_limit_s=LIMIT_S, backend=backend, until_converged=True)
    assert converged.solve_time_s < LIMIT_S / 2, f"{backend} ran {converged.solve_time_s:.1f} s of {LIMIT_S:.0f}"
    assert not converged.unassigned
    full = solve(day, time_limit_s=3, backend=backend)
    assert converged.vehicles_used == full.vehicles_used
    assert converged.objective <= full.objective * 1.05
