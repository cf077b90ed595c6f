"""Each benchmark variant on a small Solomon day (R101's first 25 customers), on both paths: the plan
respects every constraint of the variant through the independent checker."""

from __future__ import annotations

import dataclasses

import pytest

from hub.paths import SOLOMON_DIR
from hub.routing import variants
from hub.routing.checker import check_plan
from hub.routing.formats.solomon import read_solomon
from hub.routing.model import BreakTaken, Problem, RoutePlan
from hub.routing.solve import choose_backend, solve

LIMIT = 2.0  # seconds per solve: 25 customers, enough for both solvers to serve them all


def small(name: str = "R101", customers: int = 25):
    inst = read_solomon(SOLOMON_DIR / f"{name}.txt")
    return dataclasses.replace(inst, customers=inst.customers[: customers + 1])


def problem_for(variant: str) -> Problem:
    inst = small()
    base = solve(variants.make(inst, "plain"), time_limit_s=1.0) if variant == "locks" else None
    return variants.make(inst, variant, base)


def assert_respects(problem: Problem, plan: RoutePlan) -> None:
    check = check_plan(problem, plan)
    assert check.feasible, check.violations
    assert not plan.unassigned, plan.unassigned


STRONG = {"plain": "pyvrp", "features": "pyvrp", "locks": "pyvrp", "windows": "pyvrp", "breaks": "pyvrp"}


@pytest.mark.parametrize("variant", variants.VARIANTS)
@pytest.mark.parametrize("path", ["strong", "ortools"])
def test_variant_plan_respects_every_constraint(variant: str, path: str) -> None:
    problem = problem_for(variant)
    assert choose_backend(problem) == STRONG[variant]
    backend = STRONG[variant] if path == "strong" else "ortools"
    plan = solve(problem, time_limit_s=LIMIT, backend=backend)
    assert plan.backend == backend
    assert_respects(problem, plan)
    used = [r for r in plan.routes if r.visits]
    if variant == "features":
        cold = {v.id for v in problem.vehicles if variants.COLD in v.features}
        assert 0 < len(cold) < len(problem.vehicles)
        needy = [s.id for s in problem.stops if s.required_features]
        assert needy and all(r.vehicle_id in cold for r in used for v in r.visits if v.stop_id in needy)
    if variant == "locks":
        locked = [s for s in problem.stops if s.locked_vehicle is not None]
        assert locked
        for s in locked:
            route = plan.route_of(s.locked_vehicle)
            assert route is not None and route.visits[s.locked_sequence].stop_id == s.id
    if variant == "breaks":
        window = problem.vehicles[0].breaks[0].window
        assert all(len(r.breaks_taken) == 1 and window.contains(r.breaks_taken[0].start) for r in used)
    if variant == "windows":
        assert any(len(s.time_windows) == 2 for s in problem.stops)


def test_variants_are_deterministic_and_as_the_issue_says() -> None:
    inst = small()
    f = variants.make(inst, "features")
    assert [variants.COLD in v.features for v in f.vehicles[:4]] == [False, True, False, True]
    assert {s.id for s in f.stops if s.required_features} == {str(k) for k in range(3, 26, 3)}
    w = variants.make(inst, "windows")
    horizon = w.depots[0].time_window
    for s in w.stops:
        assert len(s.time_windows) == (2 if int(s.id) % 5 == 0 else 1)
        if len(s.time_windows) == 2:
            first, second = s.time_windows
            assert abs(abs(second.start - first.start) - (horizon.end - horizon.start) // 2) <= 1
            assert horizon.start <= second.start <= second.end <= horizon.end
    b = variants.make(inst, "breaks")
    brk = b.vehicles[0].breaks[0]
    assert brk.duration_s == 30 * b.scale and brk.window.start == round(0.4 * horizon.end)
    assert variants.make(inst, "breaks") == b and variants.make(inst, "windows") == w


def test_checker_catches_a_moved_lock_and_a_misplaced_break() -> None:
    problem = problem_for("locks")
    plan = solve(problem, time_limit_s=1.0)
    route = next(r for r in plan.routes if len(r.visits) >= 2)
    swapped = dataclasses.replace(route, visits=(route.visits[1], route.visits[0]) + route.visits[2:])
    bad = dataclasses.replace(plan, routes=tuple(swapped if r is route else r for r in plan.routes))
    assert any("locked at" in v for v in check_plan(problem, bad).violations)

    problem = problem_for("breaks")
    plan = solve(problem, time_limit_s=1.0, backend="ortools")
    route = next(r for r in plan.routes if r.visits)
    for start in (0, route.visits[0].service_start):  # outside its window; during a service
        moved = dataclasses.replace(route, breaks_taken=(BreakTaken(start, route.breaks_taken[0].duration_s),))
        bad = dataclasses.replace(plan, routes=tuple(moved if r is route else r for r in plan.routes))
        assert not check_plan(problem, bad).feasible
    skipped = dataclasses.replace(route, breaks_taken=())
    bad = dataclasses.replace(plan, routes=tuple(skipped if r is route else r for r in plan.routes))
    assert any("breaks taken" in v for v in check_plan(problem, bad).violations)
