"""VROOM input -> Problem -> solve -> VROOM output, on small hand-written inputs in data/vroom_*.json."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from hub.routing.formats.vroom_output import write_vroom
from hub.routing.model import BreakTaken, Route, RoutePlan, Unassigned, Visit
from hub.routing.vroom import VroomInputError, read_vroom, solve_vroom, solve_vroom_file

DATA = Path(__file__).parent / "data"
SUMMARY_KEYS = {"cost", "routes", "unassigned", "delivery", "pickup", "service", "duration", "waiting_time",
                "distance", "computing_times"}
STEP_KEYS = {"type", "arrival", "duration", "service", "waiting_time", "load", "distance"}


def load(name: str) -> dict[str, Any]:
    return json.loads((DATA / name).read_text())


def tasks_in(out: dict[str, Any]) -> list[tuple[str, int]]:
    steps = [s for r in out["routes"] for s in r["steps"]]
    routed = [(s["type"], s["id"]) for s in steps if s["type"] in ("job", "pickup", "delivery")]
    return routed + [(u["type"], u["id"]) for u in out["unassigned"]]


def assert_vroom_shape(out: dict[str, Any]) -> None:
    assert out["code"] == 0
    assert SUMMARY_KEYS <= set(out["summary"])
    assert out["summary"]["routes"] == len(out["routes"])
    assert out["summary"]["unassigned"] == len(out["unassigned"])
    for route in out["routes"]:
        assert {"vehicle", "cost", "steps", "service", "duration", "waiting_time", "distance"} <= set(route)
        assert route["steps"][0]["type"] == "start" and route["steps"][-1]["type"] == "end"
        for step in route["steps"]:
            assert STEP_KEYS <= set(step)
        assert route["steps"][-1]["duration"] == route["duration"]
        assert route["steps"][-1]["distance"] == route["distance"]
    assert out["summary"]["cost"] == sum(r["cost"] for r in out["routes"])


def test_coordinates_round_trip() -> None:
    data = load("vroom_coords.json")
    out = solve_vroom_file(DATA / "vroom_coords.json", time_limit_s=1)
    assert_vroom_shape(out)
    expected = sorted([("job", j["id"]) for j in data["jobs"]] + [("pickup", 7), ("delivery", 8)])
    assert sorted(tasks_in(out)) == expected  # every task exactly once
    windows = {j["id"]: j.get("time_windows") for j in data["jobs"]}
    capacity = {v["id"]: v["capacity"][0] for v in data["vehicles"]}
    for route in out["routes"]:
        steps = route["steps"]
        ids = [(s["type"], s.get("id")) for s in steps]
        # Skills: job 1 needs skill 1 (vehicle 1 only), job 4 skill 2 (vehicle 2 only).
        if ("job", 1) in ids:
            assert route["vehicle"] == 1
        if ("job", 4) in ids:
            assert route["vehicle"] == 2
        if ("pickup", 7) in ids:
            assert ids.index(("pickup", 7)) < ids.index(("delivery", 8))
        # Start load = the route's job deliveries; loads stay within capacity.
        job_deliveries = sum(j.get("delivery", [0])[0] for j in data["jobs"] if ("job", j["id"]) in ids)
        assert steps[0]["load"] == [job_deliveries]
        assert all(0 <= s["load"][0] <= capacity[route["vehicle"]] for s in steps)
        for s in steps:
            if s["type"] == "job" and windows[s["id"]]:
                start = s["arrival"] + s["waiting_time"]
                assert any(a <= start <= b for a, b in windows[s["id"]])
            if s["type"] in ("job", "pickup", "delivery"):
                assert len(s["location"]) == 2 and 4.7 < s["location"][0] < 4.9  # [lon, lat] order
    served = [r for r in out["routes"] if r["vehicle"] == 1]
    if served:
        assert served[0]["description"] == "van north"


def test_matrix_input_with_open_end_speed_factor_and_skills() -> None:
    out = solve_vroom_file(DATA / "vroom_matrix.json", time_limit_s=1)
    assert_vroom_shape(out)
    assert sorted(tasks_in(out)) == [("job", i) for i in (11, 12, 13, 14, 15)]
    assert out["unassigned"] == [{"id": 15, "type": "job", "location_index": 1, "reason": "skills"}]
    assert out["warnings"] == ["vehicle 1: max_tasks is not supported and was ignored"]
    steps = [s for r in out["routes"] for s in r["steps"] if s.get("id") == 14]
    assert steps[0]["location"] == [2.35, 48.85] and steps[0]["location_index"] == 4
    for route in out["routes"]:
        if route["vehicle"] == 1:  # no end: the route stops at its last task
            assert route["steps"][-1]["location_index"] == route["steps"][-2]["location_index"]


def test_read_matrix_input() -> None:
    vp = read_vroom(load("vroom_matrix.json"))
    p = vp.problem
    assert vp.open_index == 5 and vp.from_indices
    assert p.vehicle("1").end_index == 5 and p.vehicle("1").vehicle_type == "car*2"
    assert p.durations["car*2"][0][3] == 150  # 300 s / speed factor 2
    assert p.duration_matrix(p.vehicle("0"))[0][3] == 300
    assert p.distances[5] == [0] * 6  # the open end costs nothing
    assert p.vehicle("0").cost_per_hour == 3600 and p.vehicle("0").cost_per_km == 0
    assert p.stop("job:15").required_skills == frozenset({"99"})
    assert p.stop("job:12").time_windows[0].end == 900


def test_read_coordinates_input() -> None:
    vp = read_vroom(load("vroom_coords.json"))
    p = vp.problem
    assert len(p.distances) == 8 and vp.open_index is None  # 7 task locations + the shared depot
    ship_p, ship_d = p.stop("pickup:7"), p.stop("delivery:8")
    assert (ship_p.kind, ship_d.kind, ship_p.pair_id, ship_d.demand) == ("pickup", "delivery", "shipment:7", (1,))
    assert p.stop("job:2").kind == "pickup"
    assert p.stop("job:1").location.lat == pytest.approx(45.7578)
    v1 = p.vehicle("1")
    assert v1.breaks[0].duration_s == 900 and v1.breaks[0].window.start == 39600
    assert p.vehicle("2").fixed_cost == 500 and p.vehicle("2").cost_per_km == 100
    assert p.depots[0].location.lng == pytest.approx(4.8357)
    assert vp.break_ids == {"1": (10,), "2": ()}


def test_legacy_single_matrix_and_missing_distances() -> None:
    vp = read_vroom({"vehicles": [{"id": 7, "start_index": 0, "end_index": 0}],
                     "jobs": [{"id": 1, "location_index": 1}, {"id": 2, "location_index": 2}],
                     "matrix": [[0, 5, 9], [5, 0, 4], [9, 4, 0]]})
    assert vp.problem.duration_matrix(vp.problem.vehicle("7"))[0][2] == 9
    assert vp.problem.distances == [[0, 0, 0], [0, 0, 0], [0, 0, 0]]
    assert any("distances reported as 0" in w for w in vp.warnings)
    # No time window: the shift still ends late enough to serve both jobs in turn.
    assert vp.problem.vehicle("7").shift.end >= 9 + 4 + 9


def test_writer_reports_vroom_times_loads_and_costs() -> None:
    vp = read_vroom(load("vroom_matrix.json"))
    route = Route(vehicle_id="0", distance_m=4000, duration_s=460, cost=0.0, start_time=0, end_time=460,
                  visits=(Visit("job:11", 100, 0, 100, 130, (1,), 1), Visit("job:12", 230, 0, 230, 260, (0,), 2)))
    plan = RoutePlan(routes=(route,), unassigned=(Unassigned("job:15", "skills"),), objective=0, backend="test",
                     solve_time_s=0.0)
    out = write_vroom(vp, plan, loading_ms=3, solving_ms=7)
    steps = out["routes"][0]["steps"]
    assert [(s["type"], s.get("id"), s["arrival"], s["duration"], s["distance"], s["load"]) for s in steps] == [
        ("start", None, 0, 0, 0, [2]),
        ("job", 11, 100, 100, 1000, [1]),
        ("job", 12, 230, 200, 2000, [0]),
        ("end", None, 460, 400, 4000, [0]),
    ]
    assert out["routes"][0]["cost"] == 400  # per_hour 3600 x 400 s of travel
    assert out["summary"]["delivery"] == [2] and out["summary"]["service"] == 60
    assert out["summary"]["computing_times"] == {"loading": 3, "solving": 7, "routing": 0}
    assert out["unassigned"][0]["id"] == 15


def test_writer_places_breaks_by_time_with_their_input_id() -> None:
    vp = read_vroom(load("vroom_coords.json"))
    job1 = vp.problem.stop("job:1")
    route = Route(vehicle_id="1", distance_m=0, duration_s=0, cost=0.0, start_time=30000, end_time=41000,
                  visits=(Visit("job:1", 30600, 0, 30600, 30900, (0,), job1.location_index),),
                  breaks_taken=(BreakTaken(start=39600, duration_s=900),))
    plan = RoutePlan(routes=(route,), unassigned=(), objective=0, backend="test", solve_time_s=0.0)
    steps = write_vroom(vp, plan)["routes"][0]["steps"]
    assert [s["type"] for s in steps] == ["start", "job", "break", "end"]
    assert (steps[2]["id"], steps[2]["arrival"], steps[2]["service"]) == (10, 39600, 900)
    assert steps[0]["location"] == [4.8357, 45.764] and steps[1]["description"] == "bakery"


@pytest.mark.parametrize(("doc", "message"), [
    ({"jobs": [{"id": 1, "location": [0, 0]}]}, "no vehicles"),
    ({"vehicles": [{"id": 1, "start": [0, 0]}], "jobs": [{"id": 1, "location": [0, 0]}, {"id": 1, "location": [1, 1]}]},
     "duplicate job id 1"),
    ({"vehicles": [{"id": 1, "start_index": 0}], "jobs": [{"id": 1, "location_index": 3}],
      "matrices": {"car": {"durations": [[0, 1], [1, 0]]}}}, "outside the 2x2 matrix"),
    ({"vehicles": [{"id": 1, "start": [0, 0], "capacity": [1, 2]}],
      "jobs": [{"id": 1, "location": [0, 0], "delivery": [1]}]},
     "delivery has 1 components"),
    ({"vehicles": [{"id": 1, "start": [0, 0], "profile": "boat"}], "jobs": [{"id": 1, "location": [0, 0]}]},
     "profile 'boat'"),
    ({"vehicles": [{"id": 1}], "jobs": []}, "needs a start or an end"),
    ({"vehicles": [{"id": 1, "start": [0, 0]}], "jobs": [{"id": 1}]}, "job 1: location is required"),
])
def test_bad_input_is_code_2(doc: dict[str, Any], message: str) -> None:
    with pytest.raises(VroomInputError, match=message):
        read_vroom(doc)
    out = solve_vroom(doc, time_limit_s=1)
    assert out["code"] == 2 and message in out["error"]


def test_invalid_json_file_is_code_2(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    out = solve_vroom_file(bad, time_limit_s=1)
    assert out["code"] == 2 and "not valid JSON" in out["error"]
