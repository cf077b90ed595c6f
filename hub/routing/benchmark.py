"""Solomon benchmark: solve each instance, re-check it with the independent checker, compare with BKS.

Used by `bench/routing.py` and `hub bench routing`. BKS = best known under the hierarchical
objective (fewest vehicles, then double-precision distance), from `bks.csv` beside the instances.
A variant (hub/routing/variants.py) adds a real day's constraints to every instance; its plans are
compared with the plain instance's BKS, and the peer (OR-Tools with its defaults) solves the same
variant problem in the same run.
"""

from __future__ import annotations

import csv
import json
import statistics
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TextIO

from hub.paths import SOLOMON_DIR
from hub.routing import variants
from hub.routing.checker import check_plan, check_solomon
from hub.routing.formats.solomon import read_solomon
from hub.routing.model import Problem, RoutePlan
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
    variant: str = "plain"
    solver: str = "hub"  # "hub" (the backend `auto` picks, or the one asked for) or "peer" (OR-Tools defaults)

    @property
    def vehicle_diff(self) -> int:
        return self.vehicles - self.bks_vehicles

    @property
    def gap_pct(self) -> float:
        return 100.0 * (self.distance - self.bks_distance) / self.bks_distance

    def to_json(self) -> dict:
        out = asdict(self)
        out["distance"], out["runtime_s"] = round(self.distance, 4), round(self.runtime_s, 3)
        return out


def load_bks(directory: Path) -> dict[str, tuple[int, float]]:
    with open(directory / "bks.csv", newline="") as fh:
        return {r["instance"]: (int(r["vehicles"]), float(r["distance"])) for r in csv.DictReader(fh)}


def plan_customers(plan) -> tuple[list[list[int]], list[int]]:
    routes = [[int(v.stop_id) for v in r.visits] for r in plan.routes if r.visits]
    return routes, [int(u.stop_id) for u in plan.unassigned]


def _row(path: Path, bks: tuple[int, float], problem: Problem, plan: RoutePlan, runtime: float, variant: str,
         solver: str) -> BenchRow:
    """Feasible = every customer served and both checkers agree: the Solomon one (double precision,
    plain only: it knows no variant's rules) and the model one (every variant constraint)."""
    routes, dropped = plan_customers(plan)
    exact = check_solomon(path, routes, dropped)  # its distance is the file's double-precision length
    feasible = not dropped and check_plan(problem, plan).feasible and (variant != "plain" or exact.feasible)
    return BenchRow(path.stem, feasible, exact.vehicles, bks[0], exact.distance, bks[1], runtime, plan.backend,
                    variant, solver)


def run_instance(path: Path, bks: tuple[int, float], time_limit_s: float, backend: str, workers: int = 1,
                 variant: str = "plain", peer: bool = False) -> list[BenchRow]:
    """The hub's row, then the peer's when asked. `locks` first solves the plain instance (not timed)."""
    inst = read_solomon(path)
    base = None
    if variant == "locks":
        base = solve(variants.make(inst, "plain"), time_limit_s=time_limit_s, backend=backend, workers=workers)
    problem = variants.make(inst, variant, base)
    rows = []
    for solver, chosen in [("hub", backend)] + ([("peer", "ortools")] if peer else []):
        t0 = time.perf_counter()
        plan = solve(problem, time_limit_s=time_limit_s, backend=chosen, workers=workers if solver == "hub" else 1)
        rows.append(_row(path, bks, problem, plan, time.perf_counter() - t0, variant, solver))
    return rows


# Vehicle and gap means in the TOTAL row are over feasible rows only (see _means).
HEADER = (f"{'instance':<9} {'feasible':>8} {'veh':>4} {'bks':>4} {'diff':>5} {'distance':>10} {'bks dist':>10} "
          f"{'gap %':>7} {'time s':>7}")
PEER_HEADER = f" | {'peer ok':>8} {'veh':>4} {'diff':>5} {'gap %':>7}"


def format_row(r: BenchRow, peer: BenchRow | None = None) -> str:
    line = (f"{r.instance:<9} {('yes' if r.feasible else 'NO'):>8} {r.vehicles:>4} {r.bks_vehicles:>4} "
            f"{r.vehicle_diff:>+5d} {r.distance:>10.2f} {r.bks_distance:>10.2f} {r.gap_pct:>7.2f} {r.runtime_s:>7.2f}")
    if peer is not None:
        line += f" | {('yes' if peer.feasible else 'NO'):>8} {peer.vehicles:>4} {peer.vehicle_diff:>+5d} {peer.gap_pct:>7.2f}"
    return line


def _means(rows: list[BenchRow]) -> str:
    """Mean vehicles over BKS and mean gap %, over the feasible rows only: a plan that drops stops
    uses fewer vehicles and less distance, which would flatter the mean."""
    ok = [r for r in rows if r.feasible]
    if not ok:
        return f"{'-':>5} {'':>10} {'':>10} {'-':>7}"
    return (f"{statistics.mean(r.vehicle_diff for r in ok):>+5.2f} {'':>10} {'':>10} "
            f"{statistics.mean(r.gap_pct for r in ok):>7.2f}")


def _rank(r: BenchRow) -> tuple[bool, int, float]:
    return (not r.feasible, r.vehicles, r.distance)  # feasible first, then fewer vehicles, then shorter


def format_total(rows: list[BenchRow], peers: list[BenchRow] | None = None) -> str:
    feas = sum(r.feasible for r in rows)
    line = (f"{'TOTAL':<9} {f'{feas}/{len(rows)}':>8} {sum(r.vehicles for r in rows):>4} "
            f"{sum(r.bks_vehicles for r in rows):>4} {_means(rows)} {sum(r.runtime_s for r in rows):>7.1f}")
    if peers:
        p_feas = sum(p.feasible for p in peers)
        p_means = _means(peers).split()
        line += f" | {f'{p_feas}/{len(peers)}':>8} {sum(p.vehicles for p in peers):>4} {p_means[0]:>5} {p_means[1]:>7}"
        ahead = sum(_rank(r) < _rank(p) for r, p in zip(rows, peers))
        line += f"\nhub ahead of the peer (feasible, then fewer vehicles, then shorter) on {ahead}/{len(rows)}"
    return line


def run(
    *,
    time_limit_s: float = 5.0,
    instances: list[str] | None = None,
    backend: str = "auto",
    workers: int = 1,
    directory: Path | None = None,
    out: TextIO | None = None,
    variant: str = "plain",
    peer: bool = True,
    as_json: bool = False,
) -> list[BenchRow]:
    out = out or sys.stdout  # read at call time: a test runner may have swapped it since import
    directory = directory or SOLOMON_DIR
    if variant not in variants.VARIANTS:
        raise ValueError(f"unknown variant {variant!r}; choose one of {', '.join(variants.VARIANTS)}")
    bks = load_bks(directory)
    names = instances or sorted(p.stem for p in directory.glob("*.txt"))
    unknown = [n for n in names if not (directory / f"{n}.txt").exists()]
    if unknown:
        raise FileNotFoundError(f"no such instance in {directory}: {', '.join(unknown)}")
    if not as_json:
        print(f"Solomon VRPTW, variant {variant}, {len(names)} instances, {time_limit_s:g} s each, backend {backend}, "
              f"{workers} worker(s); peer: {'OR-Tools defaults' if peer else 'none'}", file=out)
        print(HEADER + (PEER_HEADER if peer else ""), file=out, flush=True)
    hub_rows: list[BenchRow] = []
    peer_rows: list[BenchRow] = []
    for name in names:
        got = run_instance(directory / f"{name}.txt", bks[name], time_limit_s, backend, workers, variant, peer)
        hub_rows.append(got[0])
        peer_rows += got[1:]
        if as_json:
            for r in got:
                print(json.dumps(r.to_json()), file=out, flush=True)
        else:
            print(format_row(*got), file=out, flush=True)
    if not as_json:
        print(format_total(hub_rows, peer_rows or None), file=out, flush=True)
    return hub_rows + peer_rows
