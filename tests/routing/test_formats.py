"""Solomon and VRPLIB readers, and the independent checker."""

from __future__ import annotations

from pathlib import Path

import pytest

from hub.paths import SOLOMON_DIR
from hub.routing.checker import check_solomon
from hub.routing.formats.solomon import ParseError, parse_solomon, read_solomon, to_problem
from hub.routing.formats.vrplib import parse_vrplib, read_vrplib

FIXTURES = Path(__file__).parent / "fixtures"


def test_solomon_header_and_customers() -> None:
    inst = read_solomon(SOLOMON_DIR / "C101.txt")
    assert (inst.name, inst.vehicles, inst.capacity, len(inst.customers)) == ("C101", 25, 200, 101)
    assert inst.depot.due == 1236
    c5 = inst.customers[5]
    assert (c5.x, c5.y, c5.demand, c5.ready, c5.due, c5.service) == (42, 65, 10, 15, 67, 90)


def test_solomon_problem_scales_and_rounds_travel_up() -> None:
    p = to_problem(read_solomon(SOLOMON_DIR / "C101.txt"), scale=1000)
    assert len(p.stops) == 100 and len(p.vehicles) == 25
    # depot (40,50) to customer 1 (45,68): sqrt(349) = 18.681541692...
    assert p.durations[0][1] == 18682 and p.distances[0][1] == 18682
    assert p.stop("5").time_windows[0].start == 15_000 and p.stop("5").service_s == 90_000


def test_solomon_errors_name_file_and_line() -> None:
    text = (SOLOMON_DIR / "C101.txt").read_text().splitlines()
    text[12] = "    3      42         66         ten        65        146         90"
    with pytest.raises(ParseError, match=r"bad\.txt:13: expected numbers"):
        parse_solomon("\n".join(text), "bad.txt")
    with pytest.raises(ParseError, match="VEHICLE"):
        parse_solomon("X\n\nCUSTOMER\n 0 1 1 0 0 10 0\n 1 2 2 1 0 10 0\n", "nohead.txt")


def test_checker_accepts_one_route_per_customer_and_finds_faults() -> None:
    inst = read_solomon(SOLOMON_DIR / "C101.txt")
    singles = [[c] for c in range(1, 101)]
    ok = check_solomon(SOLOMON_DIR / "C101.txt", singles, max_vehicles=100)
    assert ok.feasible and ok.vehicles == 100
    assert check_solomon(SOLOMON_DIR / "C101.txt", singles).violations == ["100 vehicles used, only 25 available"]
    # customer 1 opens at 912, customer 3 closes at 146: 1 then 3 is late
    late = check_solomon(SOLOMON_DIR / "C101.txt", [[1, 3]] + [[c] for c in range(2, 101) if c != 3], max_vehicles=100)
    assert not late.feasible and any("customer 3" in v for v in late.violations)
    missing = check_solomon(SOLOMON_DIR / "C101.txt", singles[1:], max_vehicles=100)
    assert missing.violations == ["customer 1 neither visited nor reported unassigned"]
    assert check_solomon(SOLOMON_DIR / "C101.txt", singles[1:], [1], max_vehicles=100).feasible
    heavy = check_solomon(SOLOMON_DIR / "C101.txt", [list(range(1, 101))])
    assert any("exceeds capacity" in v for v in heavy.violations)
    assert inst.capacity == 200


def test_vrplib_vrptw_and_cvrp() -> None:
    p = read_vrplib(FIXTURES / "small_vrptw.vrp", scale=1)
    assert len(p.vehicles) == 3 and p.vehicles[0].capacity == (10,)
    assert [s.id for s in p.stops] == ["2", "3", "4", "5", "6", "7"]
    assert p.stop("7").time_windows[0].start == 50 and p.stop("2").service_s == 5
    assert p.vehicles[0].shift.end == 200
    c = read_vrplib(FIXTURES / "small_cvrp.vrp")
    assert len(c.vehicles) == 4 and not c.stops[0].time_windows


def test_vrplib_errors_name_the_line() -> None:
    text = (FIXTURES / "small_cvrp.vrp").read_text().replace("3 40 50", "3 forty 50")
    with pytest.raises(ParseError, match=r"x\.vrp:9: expected numbers in NODE_COORD_SECTION"):
        parse_vrplib(text, "x.vrp")
    with pytest.raises(ParseError, match="EXPLICIT"):
        parse_vrplib("NAME : a\nEDGE_WEIGHT_TYPE : EXPLICIT\nCAPACITY : 3\n", "e.vrp")
