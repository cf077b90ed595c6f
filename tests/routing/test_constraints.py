"""Hand-made cases, one per constraint, on the OR-Tools backend (it models every constraint)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import replace

import pytest

from hub.routing.checker import check_plan
from hub.routing.model import Break, Depot, Location, Problem, Route, RoutePlan, Stop, TimeWindow, Vehicle, Visit
from hub.routing.pyvrp_backend import unsupported
from hub.routing.solve import choose_backend, solve

DAY = TimeWindow(0, 100_000)
LIMIT = 1.0  # seconds per solve: these problems are tiny, the limit only bounds guided local search


def build(points: Sequence[tuple[float, float]], vehicles: Sequence[Vehicle], stops: Sequence[Stop],
          dims: tuple[str, ...] = ("units",), durations: dict[str, list[list[int]]] | None = None) -> Problem:
    """Index 0 is the depot; 1 unit = 1 metre = 1 second of driving (rounded up)."""
    mat = [[math.ceil(math.hypot(a[0] - b[0], a[1] - b[1])) for b in points] for a in points]
    return Problem((Depot("depot", 0, Location.xy(*points[0]), DAY),), tuple(vehicles), tuple(stops),
                   durations if durations is not None else mat, mat, dimension_names=dims)


def van(vid: str, capacity: tuple[int, ...] = (100,), **kw) -> Vehicle:
    kw.setdefault("shift", DAY)
    return Vehicle(vid, 0, 0, capacity, **kw)


def stop(sid: str, index: int, **kw) -> Stop:
    kw.setdefault("demand", (1,))
    return Stop(sid, index, **kw)


def on(plan: RoutePlan, stop_id: str) -> str | None:
    for r in plan.routes:
        if any(v.stop_id == stop_id for v in r.visits):
            return r.vehicle_id
    return None


def visit(plan: RoutePlan, stop_id: str):
    return next(v for r in plan.routes for v in r.visits if v.stop_id == stop_id)


def reasons(plan: RoutePlan) -> dict[str, str]:
    return {u.stop_id: u.reason for u in plan.unassigned}


@pytest.mark.parametrize("backend", ["ortools", "pyvrp"])
def test_cold_chain_stop_rides_only_a_cold_chain_vehicle(backend: str) -> None:
    p = build([(0, 0), (10, 0), (20, 0)],
              [van("plain", fixed_cost=0.0), van("cold", features=frozenset({"cold_chain"}), fixed_cost=100.0)],
              [stop("milk", 1, required_features=frozenset({"cold_chain"})), stop("books", 2)])
    assert choose_backend(p) == "pyvrp"  # a routing profile per vehicle type bars what it cannot serve
    plan = solve(p, time_limit_s=LIMIT, backend=backend)
    assert on(plan, "milk") == "cold"
    assert not plan.unassigned


def test_skills_restrict_the_driver() -> None:
    p = build([(0, 0), (10, 0)], [van("a"), van("b", skills=frozenset({"hazmat"}))],
              [stop("acid", 1, required_skills=frozenset({"hazmat"}))])
    assert on(solve(p, time_limit_s=LIMIT), "acid") == "b"


def test_pickup_comes_before_its_delivery_on_the_same_vehicle() -> None:
    # the delivery point is nearer the depot, so without precedence it would be visited first
    p = build([(0, 0), (100, 0), (20, 0), (0, 50)], [van("a", (5,)), van("b", (5,))],
              [stop("P", 1, kind="pickup", pair_id="x", demand=(5,)),
               stop("D", 2, kind="delivery", pair_id="x", demand=(5,)), stop("other", 3)])
    plan = solve(p, time_limit_s=LIMIT)
    assert check_plan(p, plan).feasible, check_plan(p, plan).violations
    vid = on(plan, "P")
    assert vid is not None and vid == on(plan, "D")
    route = plan.route_of(vid)
    order = [v.stop_id for v in route.visits]
    assert order.index("P") < order.index("D")
    assert all(0 <= q <= 5 for v in route.visits for q in v.load_after)


def test_break_is_taken_inside_its_window_and_not_during_service() -> None:
    brk = Break(TimeWindow(150, 250), 60)
    pts = [(0, 0), (100, 0), (200, 0), (300, 0)]
    p = build(pts, [van("a", breaks=(brk,))], [stop(f"s{i}", i, service_s=40) for i in (1, 2, 3)])
    assert unsupported(p) == []  # one break per vehicle: PyVRP models it
    plan = solve(p, time_limit_s=LIMIT)
    assert plan.backend == "pyvrp"
    assert check_plan(p, plan).feasible
    route = plan.route_of("a")
    assert len(route.visits) == 3 and len(route.breaks_taken) == 1
    b = route.breaks_taken[0]
    assert brk.window.contains(b.start) and b.duration_s == 60
    for v in route.visits:
        assert v.departure <= b.start or v.service_start >= b.start + b.duration_s
    assert route.end_time >= 600 + 3 * 40 + 60


def test_shift_end_is_respected_and_a_too_far_stop_is_reported() -> None:
    shift = TimeWindow(0, 500)
    p = build([(0, 0), (100, 0), (400, 0)], [van("a", shift=shift)],
              [stop("near", 1, service_s=10), stop("far", 2, service_s=10)])
    plan = solve(p, time_limit_s=LIMIT)
    assert plan.route_of("a").end_time <= 500
    assert reasons(plan) == {"far": "shift_too_short"}


def test_max_working_time_splits_the_work() -> None:
    pts = [(0, 0), (100, 0), (0, 100), (-100, 0), (0, -100)]
    p = build(pts, [van(v, max_work_s=450) for v in ("a", "b", "c")], [stop(f"s{i}", i) for i in range(1, 5)])
    plan = solve(p, time_limit_s=LIMIT)
    assert not plan.unassigned and check_plan(p, plan).feasible
    for r in plan.routes:
        assert r.end_time - r.start_time <= 450
    assert plan.vehicles_used >= 2


def test_multiple_time_windows_wait_for_the_second_window() -> None:
    p = build([(0, 0), (100, 0)], [van("a")],
              [stop("x", 1, time_windows=(TimeWindow(0, 50), TimeWindow(500, 600)))])
    v = visit(solve(p, time_limit_s=LIMIT), "x")
    assert 500 <= v.service_start <= 600
    assert v.arrival + v.wait == v.service_start


def test_stops_that_fit_nowhere_are_reported_with_the_right_reason() -> None:
    p = build([(0, 0), (10, 0), (20, 0), (30, 0), (40, 0)], [van("a", (10,))],
              [stop("heavy", 1, demand=(11,)), stop("frozen", 2, required_features=frozenset({"freezer"})),
               stop("late", 3, time_windows=(TimeWindow(0, 5),)), stop("ok", 4)])
    plan = solve(p, time_limit_s=LIMIT)
    assert reasons(plan) == {"heavy": "capacity", "frozen": "no_vehicle_with_features", "late": "window_unreachable"}
    assert on(plan, "ok") == "a"
    assert all(u.message for u in plan.unassigned)


@pytest.mark.parametrize("backend", ["ortools", "pyvrp"])
def test_higher_priority_stop_is_kept_when_only_one_fits(backend: str) -> None:
    # the important stop is farther away, so cost alone would keep the other one
    p = build([(0, 0), (10, 0), (300, 0)], [van("a", (1,))],
              [stop("cheap", 1, priority=0), stop("important", 2, priority=3)])
    plan = solve(p, time_limit_s=LIMIT, backend=backend)
    assert check_plan(p, plan).feasible
    assert on(plan, "important") == "a"
    assert reasons(plan) == {"cheap": "no_capacity_left"}


def test_speed_factor_and_vehicle_type_matrices_change_durations() -> None:
    pts = [(0, 0), (1000, 0)]
    fast = build(pts, [van("bike", vehicle_type="bike", speed_factor=2.0)], [stop("x", 1)])
    assert visit(solve(fast, time_limit_s=LIMIT, backend="ortools"), "x").arrival == 500
    slow_matrix = {"default": [[0, 1000], [1000, 0]], "truck": [[0, 1500], [1500, 0]]}
    typed = build(pts, [van("t", vehicle_type="truck")], [stop("x", 1)], durations=slow_matrix)
    assert visit(solve(typed, time_limit_s=LIMIT, backend="ortools"), "x").arrival == 1500
    assert visit(solve(typed, time_limit_s=LIMIT, backend="pyvrp"), "x").arrival == 1500


def test_two_capacity_dimensions_both_bind() -> None:
    p = build([(0, 0), (10, 0), (20, 0), (30, 0)], [van("a", (10, 10)), van("b", (10, 10))],
              [stop("w", 1, demand=(8, 1)), stop("v", 2, demand=(1, 8)), stop("both", 3, demand=(5, 5))],
              dims=("kg", "litres"))
    for backend in ("ortools", "pyvrp"):
        plan = solve(p, time_limit_s=LIMIT, backend=backend)
        assert not plan.unassigned
        for r in plan.routes:
            assert all(0 <= q <= 10 for v in r.visits for q in v.load_after)


def test_every_stop_is_either_routed_or_unassigned() -> None:
    pts = [(0, 0)] + [(i * 37 % 200, i * 91 % 200) for i in range(1, 16)]
    p = build(pts, [van("a", (5,)), van("b", (5,))], [stop(f"s{i}", i) for i in range(1, 16)])
    for backend in ("ortools", "pyvrp"):
        plan = solve(p, time_limit_s=LIMIT, backend=backend)
        assert check_plan(p, plan).feasible
        routed = [v.stop_id for r in plan.routes for v in r.visits]
        assert sorted(routed + [u.stop_id for u in plan.unassigned]) == sorted(s.id for s in p.stops)
        assert len(routed) == 10
        assert {u.reason for u in plan.unassigned} == {"no_capacity_left"}


def test_check_plan_catches_a_broken_plan() -> None:
    p = build([(0, 0), (100, 0)], [van("a", (1,))], [stop("x", 1, demand=(2,), time_windows=(TimeWindow(0, 10),))])
    plan = solve(p, time_limit_s=LIMIT)
    assert check_plan(p, plan).feasible and [u.stop_id for u in plan.unassigned] == ["x"]
    wrong = Route("a", (Visit("x", 100, 0, 100, 100, (0,)),), 200, 200, 0.0, 0, 200)
    faults = check_plan(p, replace(plan, routes=(wrong,), unassigned=())).violations
    assert any("after its windows" in f for f in faults) and any("over capacity" in f for f in faults)


def test_standalone_pickup_waits_until_there_is_room() -> None:
    # the van leaves full with both deliveries; the return pickup is nearest the depot, but only fits
    # once enough has been delivered
    pts = [(0, 0), (10, 0), (100, 0), (110, 0)]
    p = build(pts, [van("a", (5,))],
              [stop("ret", 1, kind="pickup", demand=(3,)), stop("d1", 2, demand=(3,)), stop("d2", 3, demand=(2,))])
    assert unsupported(p) == ["pickups"]
    plan = solve(p, time_limit_s=LIMIT)
    check = check_plan(p, plan)
    assert check.feasible, check.violations
    order = [v.stop_id for v in plan.route_of("a").visits]
    assert order.index("ret") > order.index("d1")
    assert plan.route_of("a").visits[-1].load_after == (3,)


def test_pyvrp_opens_a_second_van_rather_than_overloading_one_over_a_long_shift() -> None:
    """Found in `hub demo`: over a 24 h shift every vehicle costs PyVRP more than its default penalty cap for
    one overloaded unit, so it kept all stops on one van and reported no feasible plan at all."""
    points = [(0, 0)] + [(1000 * math.cos(k), 1000 * math.sin(k)) for k in range(20)]
    vans = [van(f"van{k}", capacity=(40, 400_000), shift=TimeWindow(0, 86_340), max_work_s=86_400,
                cost_per_km=0.35, cost_per_hour=24.0) for k in range(4)]
    stops = [stop(f"s{k}", k + 1, demand=(3, 1900), service_s=180) for k in range(20)]  # 60 parcels: two vans
    p = build(points, vans, stops, dims=("parcels", "weight_g"))
    assert choose_backend(p) == "pyvrp"
    plan = solve(p, time_limit_s=2.0)
    assert not plan.unassigned and check_plan(p, plan).feasible
    assert sum(1 for r in plan.routes if r.visits) == 2


def test_the_demo_day_two_cold_vans_of_four_is_planned_by_pyvrp_and_says_why() -> None:
    from hub.planning.report import print_plan

    cold = frozenset({"cold_chain"})
    p = build([(0, 0), (10, 0), (20, 0), (0, 10), (0, 20), (10, 10)],
              [van("van1", features=cold), van("van2", features=cold), van("van3"), van("van4")],
              [stop("frozen", 1, required_features=cold), stop("chilled", 2, required_features=cold),
               stop("books", 3), stop("shoes", 4), stop("milk", 5, required_features=cold)])
    plan = solve(p, time_limit_s=LIMIT)
    assert plan.backend == "pyvrp" and plan.notes[0].startswith("backend pyvrp: PyVRP models every constraint")
    assert check_plan(p, plan).feasible and not plan.unassigned
    assert all(on(plan, s) in ("van1", "van2") for s in ("frozen", "chilled", "milk"))
    lines: list[str] = []
    print_plan(plan.to_dict(), lines.append)
    assert lines[1] == "  planned by pyvrp: PyVRP models every constraint of this problem exactly"
