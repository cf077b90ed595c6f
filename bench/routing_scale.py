"""Scale benchmark: a 2,000-stop day with 60 vehicles, and re-planning a 200-stop day after a cancellation.

`python bench/routing_scale.py [--time-limit 45] [--replan-limit 0.5]`. Prints one table: wall time,
feasibility (independent `check_plan`), vehicles, unassigned stops and peak RSS.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from hub.routing.checker import check_plan  # noqa: E402
from hub.routing.replan import DayState, VehicleState, replan  # noqa: E402
from hub.routing.solve import solve  # noqa: E402
from hub.routing.synthetic import generate_day  # noqa: E402

BIG_TARGET_S = 60.0  # the brief: a full 2,000-stop day must be planned inside a minute
RSS_TARGET_MB = 2048  # and fit in 2 GiB, the memory of a small worker machine
REPLAN_TARGET_S = 1.0  # a dispatcher waits for a re-plan interactively: one second


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB


def big_day(time_limit_s: float) -> list[tuple[str, str, str, bool]]:
    t0 = time.perf_counter()
    problem = generate_day(2000, 60, seed=11)
    built = time.perf_counter() - t0
    plan = solve(problem, time_limit_s=time_limit_s)
    wall = time.perf_counter() - t0
    check = check_plan(problem, plan)
    rss = peak_rss_mb()
    return [
        ("2000 stops x 60 vehicles: wall time (generate + solve)", f"{wall:.1f} s (generate {built:.1f} s)",
         f"< {BIG_TARGET_S:g} s", wall < BIG_TARGET_S),
        ("  feasible (independent check_plan)", f"{check.feasible} ({len(check.violations)} violations)", "True",
         check.feasible),
        ("  vehicles used / unassigned", f"{plan.vehicles_used} / {len(plan.unassigned)}  [{plan.backend}]", "<= 60 / 0",
         plan.vehicles_used <= 60 and not plan.unassigned),
        ("  peak RSS", f"{rss:.0f} MiB", f"< {RSS_TARGET_MB} MiB", rss < RSS_TARGET_MB),
    ]


def replan_day(replan_limit_s: float) -> list[tuple[str, str, str, bool]]:
    problem = generate_day(200, 8, seed=5)
    plan = solve(problem, time_limit_s=5.0, backend="ortools")
    busy = [r for r in plan.routes if len(r.visits) >= 4]
    out = busy[0]
    done = out.visits[:2]
    remaining = [problem.stop(v.stop_id) for v in out.visits[2:]]
    load = tuple(sum(s.demand[k] for s in remaining) for k in range(problem.n_dims))
    cancelled = busy[1].visits[len(busy[1].visits) // 2].stop_id
    state = DayState(vehicles={out.vehicle_id: VehicleState(done[-1].location_index, done[-1].departure, load)},
                     completed=tuple(v.stop_id for v in done), cancelled=frozenset({cancelled}))
    t0 = time.perf_counter()
    new = replan(problem, plan, state, time_limit_s=replan_limit_s)
    wall = time.perf_counter() - t0
    served = sum(len(r.visits) for r in new.routes)
    kept = new.route_of(out.vehicle_id).visits[:2] == done
    return [
        ("200-stop day, 1 cancellation: re-plan wall time", f"{wall:.2f} s", f"< {REPLAN_TARGET_S:g} s",
         wall < REPLAN_TARGET_S),
        ("  stops served / unassigned, history kept", f"{served} / {len(new.unassigned)}, {kept}", "199 / 0, True",
         served == 199 and not new.unassigned and kept),
    ]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--time-limit", type=float, default=45.0, help="solver seconds for the 2,000-stop day")
    ap.add_argument("--replan-limit", type=float, default=0.5, help="solver seconds for the re-plan")
    args = ap.parse_args()
    rows = replan_day(args.replan_limit) + big_day(args.time_limit)
    width = max(len(r[0]) for r in rows)
    print(f"{'metric':<{width}}  {'value':<38} {'target':<14} ok")
    for name, value, target, ok in rows:
        print(f"{name:<{width}}  {value:<38} {target:<14} {'yes' if ok else 'NO'}")
    return 0 if all(r[3] for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
