"""`hub route solve` and `hub bench routing` through click's CliRunner."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from hub.paths import SOLOMON_DIR
from hub.routing.checker import check_solomon
from hub.routing.cli import bench_group, route_group

C101 = SOLOMON_DIR / "C101.txt"
FIXTURES = Path(__file__).parent / "fixtures"


def test_route_solve_json_lists_customer_numbers() -> None:
    result = CliRunner().invoke(route_group, ["solve", "--solomon", str(C101), "--time-limit", "1", "--json"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.output)
    served = sorted(c for r in out["routes"] for c in r)
    assert served == list(range(1, 101))
    assert out["feasible"] is True and out["vehicles"] == len(out["routes"])
    assert check_solomon(C101, out["routes"]).feasible


def test_route_solve_text_and_vrplib() -> None:
    result = CliRunner().invoke(route_group, ["solve", "--vrplib", str(FIXTURES / "small_vrptw.vrp"),
                                              "--time-limit", "0.5", "--backend", "ortools"])
    assert result.exit_code == 0, result.output
    assert "small_vrptw" in result.output and "vehicles" in result.output


def test_bad_input_names_file_and_line(tmp_path: Path) -> None:
    runner = CliRunner()
    missing = runner.invoke(route_group, ["solve", "--solomon", str(tmp_path / "nope.txt")])
    assert missing.exit_code != 0 and "nope.txt" in missing.output and "cannot read" in missing.output
    bad = tmp_path / "bad.txt"
    bad.write_text("BAD\n\nVEHICLE\nNUMBER CAPACITY\n 2 10\n\nCUSTOMER\nCUST NO.\n 0 0 0 0 0 100 0\n 1 1 x 1 0 50 0\n")
    broken = runner.invoke(route_group, ["solve", "--solomon", str(bad)])
    assert broken.exit_code != 0 and f"{bad}:10" in broken.output
    neither = runner.invoke(route_group, ["solve"])
    assert neither.exit_code != 0 and "--solomon" in neither.output


def test_bench_routing_runs_selected_instances() -> None:
    result = CliRunner().invoke(bench_group, ["routing", "--instances", "C101", "--time-limit", "1"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert any(line.startswith("C101") and " yes " in line for line in lines)
    total = next(line for line in lines if line.startswith("TOTAL"))
    assert total.count("1/1") == 2  # the hub's and the peer's feasible counts
    assert lines[-1].startswith("hub ahead of the peer")
    unknown = CliRunner().invoke(bench_group, ["routing", "--instances", "X999"])
    assert unknown.exit_code != 0 and "X999" in unknown.output


def test_bench_routing_variant_json_one_object_per_instance_and_solver() -> None:
    args = ["routing", "--instances", "C101", "--time-limit", "0.5", "--variant", "windows", "--json"]
    result = CliRunner().invoke(bench_group, args)
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.output.splitlines()]
    assert [(r["solver"], r["variant"], r["instance"]) for r in rows] == [("hub", "windows", "C101"), ("peer", "windows", "C101")]
    fields = {"instance", "variant", "solver", "feasible", "vehicles", "bks_vehicles", "distance", "bks_distance", "runtime_s"}
    assert all(fields <= set(r) for r in rows) and rows[0]["feasible"]
    assert rows[1]["backend"] == "ortools"
    alone = CliRunner().invoke(bench_group, args[:-1] + ["--no-peer"])
    assert alone.exit_code == 0 and "peer: none" in alone.output and "hub ahead" not in alone.output


def test_solve_vroom_file_writes_vroom_output(tmp_path):
    source = Path(__file__).parent / "data" / "vroom_coords.json"
    result = CliRunner().invoke(route_group, ["solve", "--vroom", str(source), "--time-limit", "1"])
    assert result.exit_code == 0, result.output
    output = json.loads(result.output)
    assert output["code"] == 0 and {"summary", "routes", "unassigned"} <= set(output)
    jobs = {job["id"] for job in json.loads(source.read_text()).get("jobs", [])}
    served = {step["id"] for route in output["routes"] for step in route["steps"] if step["type"] == "job"}
    assert served | {u["id"] for u in output["unassigned"] if u.get("type") == "job"} == jobs
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    failed = CliRunner().invoke(route_group, ["solve", "--vroom", str(broken)])
    assert failed.exit_code != 0 and "not valid JSON" in failed.output
