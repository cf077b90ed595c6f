"""Solomon instances end to end, verified by the independent checker (2 s each)."""

from __future__ import annotations

import csv

import pytest

from hub.paths import SOLOMON_DIR
from hub.routing.checker import check_solomon
from hub.routing.formats.solomon import read_solomon, to_problem
from hub.routing.solve import choose_backend, solve

BKS = {r["instance"]: int(r["vehicles"]) for r in csv.DictReader(open(SOLOMON_DIR / "bks.csv"))}


def _customers(plan) -> tuple[list[list[int]], list[int]]:
    return [[int(v.stop_id) for v in r.visits] for r in plan.routes if r.visits], [int(u.stop_id) for u in plan.unassigned]


@pytest.mark.parametrize("name", ["C101", "R101", "RC201"])
def test_auto_backend_is_feasible_and_near_best_known(name: str) -> None:
    problem = to_problem(read_solomon(SOLOMON_DIR / f"{name}.txt"))
    assert choose_backend(problem) == "pyvrp"
    plan = solve(problem, time_limit_s=2.0)
    routes, dropped = _customers(plan)
    check = check_solomon(SOLOMON_DIR / f"{name}.txt", routes, dropped)
    assert check.feasible, check.violations
    assert not dropped
    assert check.vehicles <= BKS[name] + 2


def test_ortools_backend_is_feasible_on_c101() -> None:
    plan = solve(to_problem(read_solomon(SOLOMON_DIR / "C101.txt")), time_limit_s=2.0, backend="ortools")
    routes, dropped = _customers(plan)
    check = check_solomon(SOLOMON_DIR / "C101.txt", routes, dropped)
    assert check.feasible and not dropped, check.violations
    assert check.vehicles <= BKS["C101"] + 2
    # the plan's own times agree with the data: every service starts inside its window
    problem = to_problem(read_solomon(SOLOMON_DIR / "C101.txt"))
    for r in plan.routes:
        for v in r.visits:
            assert problem.stop(v.stop_id).time_windows[0].contains(v.service_start)


def test_plan_serialises_to_json() -> None:
    import json

    plan = solve(to_problem(read_solomon(SOLOMON_DIR / "C101.txt")), time_limit_s=1.0)
    data = json.loads(json.dumps(plan.to_dict()))
    assert data["totals"]["vehicles_used"] == len(data["routes"]) and data["backend"] == "pyvrp"
    assert sum(len(r["visits"]) for r in data["routes"]) == 100


def test_parallel_seeds_keep_the_best_plan() -> None:
    plan = solve(to_problem(read_solomon(SOLOMON_DIR / "R101.txt")), time_limit_s=1.0, workers=2)
    routes, dropped = _customers(plan)
    assert check_solomon(SOLOMON_DIR / "R101.txt", routes, dropped).feasible and not dropped
    assert any("seeds" in n for n in plan.notes)
