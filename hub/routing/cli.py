"""Command line for the routing engine: `hub route solve ...` and `hub bench routing ...`.

The lead registers `route_group` and `bench_group` in hub/cli.py; `python -m hub.routing.cli`
runs them standalone.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import click

from hub.routing import benchmark
from hub.routing.checker import check_solomon
from hub.routing.formats.solomon import ParseError, read_solomon, to_problem
from hub.routing.formats.vrplib import read_vrplib
from hub.routing.model import Problem, RoutePlan
from hub.routing.solve import BACKENDS, solve
from hub.routing.variants import VARIANTS
from hub.routing.vroom import solve_vroom_file


def _exact_distance(problem: Problem, plan: RoutePlan) -> float:
    """Double-precision Euclidean length of the plan from the file's coordinates."""
    loc = {s.id: s.location for s in problem.stops}
    depot = problem.depots[0].location
    total = 0.0
    for r in plan.routes:
        if not r.visits or depot is None:
            continue
        path = [depot] + [loc[v.stop_id] for v in r.visits] + [depot]
        total += sum(math.hypot(a.x - b.x, a.y - b.y) for a, b in zip(path, path[1:]) if a and b)
    return total


def _load(solomon: str | None, vrplib: str | None) -> Problem:
    if bool(solomon) == bool(vrplib):
        raise click.UsageError("give exactly one of --solomon FILE, --vrplib FILE or --vroom FILE")
    try:
        return to_problem(read_solomon(solomon)) if solomon else read_vrplib(vrplib)  # type: ignore[arg-type]
    except ParseError as exc:
        raise click.ClickException(str(exc)) from None
    except ValueError as exc:
        raise click.ClickException(f"{solomon or vrplib}: {exc}") from None


@click.group("route")
def route_group() -> None:
    """Plan delivery routes."""


@route_group.command("solve")
@click.option("--solomon", "solomon", metavar="FILE", help="A Solomon VRPTW instance.")
@click.option("--vrplib", "vrplib", metavar="FILE", help="A VRPLIB CVRP/VRPTW instance.")
@click.option("--vroom", "vroom", metavar="FILE", type=click.Path(exists=True, dir_okay=False),
              help="A problem in VROOM's JSON input format; prints a solution in VROOM's output format.")
@click.option("--time-limit", type=click.FloatRange(min=0.01), default=5.0, show_default=True, help="Seconds.")
@click.option("--backend", type=click.Choice(BACKENDS), default="auto", show_default=True)
@click.option("--workers", type=click.IntRange(min=1), default=1, show_default=True,
              help="Parallel PyVRP searches (one per core); the best plan wins.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable plan; routes list the file's customer numbers.")
def solve_command(solomon: str | None, vrplib: str | None, vroom: str | None, time_limit: float, backend: str,
                  workers: int, as_json: bool) -> None:
    """Solve a benchmark file and print its routes and totals."""
    if vroom:
        if solomon or vrplib:
            raise click.UsageError("give exactly one of --solomon, --vrplib or --vroom")

        output = solve_vroom_file(vroom, time_limit)
        if output.get("code", 0) != 0:
            raise click.ClickException(str(output.get("error", "the VROOM input could not be solved")))
        click.echo(json.dumps(output, indent=2))
        return
    problem = _load(solomon, vrplib)
    plan = solve(problem, time_limit_s=time_limit, backend=backend, workers=workers)
    routes = [[int(v.stop_id) for v in r.visits] for r in plan.routes if r.visits]
    dropped = [int(u.stop_id) for u in plan.unassigned]
    distance = _exact_distance(problem, plan)
    feasible = None
    if solomon:
        check = check_solomon(Path(solomon), routes, dropped)
        feasible, distance = check.feasible and not dropped, check.distance
    if as_json:
        click.echo(json.dumps({
            "instance": problem.name, "backend": plan.backend, "solve_time_s": round(plan.solve_time_s, 3),
            "vehicles": len(routes), "distance": round(distance, 6), "feasible": feasible,
            "routes": routes,
            "unassigned": [{"customer": int(u.stop_id), "reason": u.reason, "message": u.message} for u in plan.unassigned],
        }, indent=2))
        return
    click.echo(f"{problem.name}: {len(routes)} vehicles, distance {distance:.2f}, backend {plan.backend}, "
               f"{plan.solve_time_s:.1f} s")
    for r in plan.routes:
        if r.visits:
            load = sum(problem.demand_of(problem.stop(v.stop_id))[0] for v in r.visits)
            path = " ".join(v.stop_id for v in r.visits)
            click.echo(f"  {r.vehicle_id:>4} load {load:>5}  {path}")
    for u in plan.unassigned:
        click.echo(f"  unassigned {u.stop_id}: {u.reason} ({u.message})")
    if feasible is not None:
        click.echo(f"independent check: {'feasible' if feasible else 'INFEASIBLE'}")


@click.group("bench")
def bench_group() -> None:
    """Benchmarks."""


@bench_group.command("routing")
@click.option("--time-limit", type=click.FloatRange(min=0.01), default=5.0, show_default=True, help="Seconds per instance.")
@click.option("--instances", default="", help="Comma-separated names, e.g. C101,R101 (default: all).")
@click.option("--backend", type=click.Choice(BACKENDS), default="auto", show_default=True)
@click.option("--workers", type=click.IntRange(min=1), default=1, show_default=True,
              help="Parallel PyVRP searches per instance (one per core); the best plan wins.")
@click.option("--data-dir", type=click.Path(file_okay=False), default=None, help="Folder with *.txt and bks.csv.")
@click.option("--variant", type=click.Choice(VARIANTS), default="plain", show_default=True,
              help="A real day's constraints added to every instance (see hub/routing/variants.py).")
@click.option("--no-peer", is_flag=True, help="Skip the peer (OR-Tools with its defaults on the same problems).")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line, per instance and solver.")
def bench_routing(time_limit: float, instances: str, backend: str, workers: int, data_dir: str | None,
                  variant: str, no_peer: bool, as_json: bool) -> None:
    """Solomon VRPTW: feasibility, vehicles and distance against best-known solutions, beside the peer."""
    names = [n.strip().upper() for n in instances.split(",") if n.strip()] or None
    try:
        benchmark.run(time_limit_s=time_limit, instances=names, backend=backend, workers=workers,
                      directory=Path(data_dir) if data_dir else None, variant=variant, peer=not no_peer,
                      as_json=as_json)
    except (FileNotFoundError, ParseError) as exc:
        raise click.ClickException(str(exc)) from None


def _standalone() -> click.Group:
    group = click.Group("hub")
    group.add_command(route_group)
    group.add_command(bench_group)
    return group


if __name__ == "__main__":
    _standalone()()
