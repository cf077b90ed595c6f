"""Solomon benchmark: solve each instance, re-check it with the independent checker, compare with BKS.

Used by `bench/routing.py` and `hub bench routing`. BKS = best known under the hierarchical
objective (fewest vehicles, then double-precision distance), from `bks.csv` beside the instances.
"""

from __future__ import annotations

import csv
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from hub.paths import SOLOMON_DIR
from hub.routing.checker import check_solomon
from hub.routing.formats.solomon import read_solomon, to_problem
from hub.routing.solve import solve


@dataclass(frozen=True)
class BenchRow:
    instance: str
    feasible: bool
    vehicles: int
    bks_vehicles: int
    distance: float
    bks_distance: float
    runtime_s: float
    backend: str

    @property
    def vehicle_diff(self) -> int:
        return self.vehicles - self.bks_vehicles

    @property
    def gap_pct(self) -> float:
        return 100.0 * (self.distance - self.bks_distance) / self.bks_distance


def load_bks(directory: Path) -> dict[str, tuple[int, float]]:
    with open(directory / "bks.csv", newline="") as fh:
        return {r["instance"]: (int(r["vehicles"]), float(r["distance"])) for r in csv.DictReader(fh)}


def plan_customers(plan) -> tuple[list[list[int]], list[int]]:
    routes = [[int(v.stop_id) for v in r.visits] for r in plan.routes if r.visits]
    return routes, [int(u.stop_id) for u in plan.unassigned]


def run_instance(path: Path, bks: tuple[int, float], time_limit_s: float, backend: str, workers: int = 1) -> BenchRow:
    t0 = time.perf_counter()
    plan = solve(to_problem(read_solomon(path)), time_limit_s=time_limit_s, backend=backend, workers=workers)
    runtime = time.perf_counter() - t0
    routes, dropped = plan_customers(plan)
    check = check_solomon(path, routes, dropped)
    feasible = check.feasible and not dropped
    return BenchRow(path.stem, feasible, check.vehicles, bks[0], check.distance, bks[1], runtime, plan.backend)


HEADER = f"{'instance':<9} {'feasible':>8} {'veh':>4} {'bks':>4} {'diff':>5} {'distance':>10} {'bks dist':>10} {'gap %':>7} {'time s':>7}"


def format_row(r: BenchRow) -> str:
    return (f"{r.instance:<9} {('yes' if r.feasible else 'NO'):>8} {r.vehicles:>4} {r.bks_vehicles:>4} "
            f"{r.vehicle_diff:>+5d} {r.distance:>10.2f} {r.bks_distance:>10.2f} {r.gap_pct:>7.2f} {r.runtime_s:>7.2f}")


def format_total(rows: list[BenchRow]) -> str:
    feas = sum(r.feasible for r in rows)
    diff = statistics.mean(r.vehicle_diff for r in rows)
    gap = statistics.mean(r.gap_pct for r in rows)
    return (f"{'TOTAL':<9} {f'{feas}/{len(rows)}':>8} {sum(r.vehicles for r in rows):>4} "
            f"{sum(r.bks_vehicles for r in rows):>4} {diff:>+5.2f} {'':>10} {'':>10} {gap:>7.2f} "
            f"{sum(r.runtime_s for r in rows):>7.1f}")


def run(
    *,
    time_limit_s: float = 5.0,
    instances: list[str] | None = None,
    backend: str = "auto",
    workers: int = 1,
    directory: Path | None = None,
    out: TextIO | None = None,
) -> list[BenchRow]:
    out = out or sys.stdout  # read at call time: a test runner may have swapped it since import
    directory = directory or SOLOMON_DIR
    bks = load_bks(directory)
    names = instances or sorted(p.stem for p in directory.glob("*.txt"))
    unknown = [n for n in names if not (directory / f"{n}.txt").exists()]
    if unknown:
        raise FileNotFoundError(f"no such instance in {directory}: {', '.join(unknown)}")
    print(f"Solomon VRPTW, {len(names)} instances, {time_limit_s:g} s each, backend {backend}, "
          f"{workers} worker(s)", file=out)
    print(HEADER, file=out, flush=True)
    rows: list[BenchRow] = []
    for name in names:
        row = run_instance(directory / f"{name}.txt", bks[name], time_limit_s, backend, workers)
        rows.append(row)
        print(format_row(row), file=out, flush=True)
    print(format_total(rows), file=out, flush=True)
    return rows
