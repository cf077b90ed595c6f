"""Breaks in PyVRP's model (break clients on a load dimension of their own) and their exact placement
(hub/routing/breaks.py), both held to the independent checker's rules."""

from __future__ import annotations

import dataclasses

from hub.paths import SOLOMON_DIR
from hub.routing import variants
from hub.routing.breaks import place_break
from hub.routing.checker import check_plan
from hub.routing.diagnose import static_reason
from hub.routing.formats.solomon import read_solomon
from hub.routing.model import Break, Problem, TimeWindow, Unassigned
from hub.routing.solve import solve


def breaks_day(name: str, customers: int | None = None) -> Problem:
    inst = read_solomon(SOLOMON_DIR / f"{name}.txt")
    if customers is not None:
        inst = dataclasses.replace(inst, customers=inst.customers[: customers + 1])
    return variants.make(inst, "breaks")


def test_pyvrp_places_every_break_itself_on_a_small_day() -> None:
    problem = breaks_day("C101", 40)
    plan = solve(problem, time_limit_s=2.0)
    check = check_plan(problem, plan)
    assert plan.backend == "pyvrp" and check.feasible, check.violations
    assert not plan.unassigned
    assert not any("split" in n for n in plan.notes), plan.notes  # the model left room for every break
    assert all(len(r.breaks_taken) == 1 for r in plan.routes if r.visits)


def test_placement_agrees_with_the_checker_on_another_solvers_routes() -> None:
    problem = breaks_day("R101", 30)
    plan = solve(problem, time_limit_s=1.0, backend="ortools")
    for route in (r for r in plan.routes if r.visits):
        vehicle = problem.vehicle(route.vehicle_id)
        ids = [v.stop_id for v in route.visits]
        placed = place_break(problem, vehicle, ids, route.start_time)
        assert placed is not None, route  # OR-Tools found a placement, so one exists
        alone = dataclasses.replace(plan, routes=(placed,), unassigned=())
        assert not [v for v in check_plan(problem, alone).violations if "routed or reported" not in v]


def test_a_break_taken_while_waiting_lets_a_late_stop_be_served() -> None:
    # RC105's customer 25 opens late: leaving at once and resting while waiting for its window fits,
    # which the old estimate (rest before leaving or after returning only) ruled out
    problem = breaks_day("RC105")
    assert static_reason(problem, problem.stop("25")) is None


def test_no_placement_when_the_break_cannot_fit_between_tight_windows() -> None:
    problem = breaks_day("R101", 10)
    vehicle = dataclasses.replace(problem.vehicles[0], breaks=(Break(TimeWindow(0, 0), 10**6),))
    assert place_break(problem, vehicle, [problem.stops[0].id], vehicle.shift.start) is None


def test_stops_lost_to_a_break_that_did_not_fit_are_re_planned_by_ortools() -> None:
    from hub.routing.pyvrp_backend import RESTLESS, _rescue
    from hub.routing.schedule import empty_route

    problem = breaks_day("C101", 25)
    plan = solve(problem, time_limit_s=1.0)
    lost = next(r for r in plan.routes if r.visits)
    cut = dataclasses.replace(
        plan, routes=tuple(empty_route(problem.vehicle(r.vehicle_id)) if r is lost else r for r in plan.routes),
        unassigned=tuple(Unassigned(v.stop_id, "dropped_for_cost", RESTLESS) for v in lost.visits))
    fixed = _rescue(problem, cut, 1.0, until_converged=False)
    check = check_plan(problem, fixed)
    assert check.feasible and not fixed.unassigned, check.violations
    assert fixed.backend == "pyvrp+ortools" and "OR-Tools re-planned" in fixed.notes[-1]
