"""Independent feasibility checkers: shares no code with the solvers, readers or schedule builder.

- `check_solomon`: a plan against the original Solomon file, in double precision; it reads the file
  itself and re-simulates every route from the customer numbers alone.
- `check_plan`: any `RoutePlan` against its `Problem`, on the problem's integer matrices.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

from hub.routing.model import BreakTaken, Problem, Route, RoutePlan, TimeWindow, Vehicle

# Tolerance on time and distance comparisons: absorbs float noise only, far below one data unit.
EPS = 1e-6


@dataclass
class CheckResult:
    feasible: bool
    violations: list[str] = field(default_factory=list)
    vehicles: int = 0
    distance: float = 0.0
    unassigned: list[int] = field(default_factory=list)


def _read(text: str) -> tuple[int, int, list[tuple[float, ...]]]:
    lines = [ln.split() for ln in text.splitlines() if ln.strip()]
    n_veh = cap = 0
    rows: list[tuple[float, ...]] = []
    for i, parts in enumerate(lines):
        if parts[0].upper() == "NUMBER" and i + 1 < len(lines):
            n_veh, cap = int(lines[i + 1][0]), int(lines[i + 1][1])
        if len(parts) == 7:
            try:
                rows.append(tuple(float(p) for p in parts))
            except ValueError:
                continue
    return n_veh, cap, rows


def check_solomon(
    instance: str | Path,
    routes: list[list[int]],
    unassigned: list[int] | None = None,
    *,
    max_vehicles: int | None = None,
) -> CheckResult:
    """`instance` is a path or the file's text; routes are lists of customer numbers (no depot)."""
    text = Path(instance).read_text() if isinstance(instance, Path) or "\n" not in str(instance) else str(instance)
    n_veh, cap, rows = _read(text)
    cust = {int(r[0]): r for r in rows}
    depot = cust[0]
    x0, y0, due0 = depot[1], depot[2], depot[5]
    violations: list[str] = []
    seen: dict[int, int] = {}
    total = 0.0
    used = 0
    for k, route in enumerate(routes):
        if not route:
            continue
        used += 1
        t, load, px, py = depot[4], 0.0, x0, y0
        for c in route:
            if c not in cust or c == 0:
                violations.append(f"route {k}: unknown customer {c}")
                continue
            seen[c] = seen.get(c, 0) + 1
            _, x, y, dem, ready, due, serv = cust[c]
            d = math.hypot(x - px, y - py)
            total += d
            t += d
            if t > due + EPS:
                violations.append(f"route {k}: customer {c} reached at {t:.4f} after due date {due:g}")
            t = max(t, ready) + serv
            load += dem
            px, py = x, y
        d = math.hypot(x0 - px, y0 - py)
        total += d
        t += d
        if t > due0 + EPS:
            violations.append(f"route {k}: back at depot at {t:.4f} after its due date {due0:g}")
        if load > cap + EPS:
            violations.append(f"route {k}: load {load:g} exceeds capacity {cap}")
    dropped = list(unassigned or [])
    for c in cust:
        if c == 0:
            continue
        count = seen.get(c, 0) + dropped.count(c)
        if count == 0:
            violations.append(f"customer {c} neither visited nor reported unassigned")
        elif count > 1:
            violations.append(f"customer {c} appears {count} times")
    limit = max_vehicles if max_vehicles is not None else n_veh
    if used > limit:
        violations.append(f"{used} vehicles used, only {limit} available")
    return CheckResult(not violations, violations, used, total, dropped)


def check_plan(problem: Problem, plan: RoutePlan) -> CheckResult:
    """Re-simulate a plan on the problem's own integer matrices (earliest times, no solver code).

    Checks: each stop routed once or reported unassigned; features and skills; locked stops on
    their vehicle at their position; service starts inside one of its windows; load within capacity
    in every dimension (standalone deliveries loaded at the start); pickup before its delivery on one
    vehicle; every break the vehicle owes taken once, inside its window, never during a service (a
    break on the way pauses the drive); back within the shift and working-time limit.
    """
    violations: list[str] = []
    stops = {s.id: s for s in problem.stops}
    seen: dict[str, int] = {}
    used = 0
    for route in plan.routes:
        if not route.visits:
            continue
        used += 1
        v = next(x for x in problem.vehicles if x.id == route.vehicle_id)
        dur = problem.duration_matrix(v)
        dims = len(problem.dimension_names)
        route_stops = [stops[vis.stop_id] for vis in route.visits if vis.stop_id in stops]
        load = [sum(s.demand[k] for s in route_stops if s.demand and s.kind == "delivery" and s.pair_id is None)
                for k in range(dims)]
        for k in range(dims):
            if load[k] > v.capacity[k]:
                violations.append(f"{v.id}: starts with load {load[k]} over capacity {v.capacity[k]}")
        t, here = route.start_time, v.start_index
        if t < v.shift.start:
            violations.append(f"{v.id}: leaves at {t}, before the shift starts at {v.shift.start}")
        pending = _breaks_owed(v, route, violations)
        where: dict[str, int] = {}
        for pos, s in enumerate(route_stops):
            seen[s.id] = seen.get(s.id, 0) + 1
            where[s.id] = pos
            if not (s.required_features <= v.features and s.required_skills <= v.skills):
                violations.append(f"{v.id}: stop {s.id} needs features/skills the vehicle lacks")
            if s.locked_vehicle is not None and s.locked_vehicle != v.id:
                violations.append(f"{v.id}: stop {s.id} is locked to {s.locked_vehicle}")
            if s.locked_sequence is not None and s.locked_sequence != pos:
                violations.append(f"{v.id}: stop {s.id} at position {pos}, locked at {s.locked_sequence}")
            t = _drive(t, dur[here][s.location_index], pending, v.id, violations)
            wins = sorted(s.time_windows or (v.shift,), key=lambda w: w.start)
            begin = _first_start(t, wins)
            while begin is not None and pending and pending[0].start < begin:  # a break taken while waiting
                b = pending.pop(0)
                begin = _first_start(max(begin, b.start + b.duration_s), wins)
            if begin is None:
                violations.append(f"{v.id}: stop {s.id} reached at {t}, after its windows")
                begin = t
            sign = 1 if s.kind == "pickup" else -1
            for k in range(dims):
                load[k] += sign * (s.demand[k] if s.demand else 0)
                if not 0 <= load[k] <= v.capacity[k]:
                    violations.append(f"{v.id}: load {load[k]} outside 0..{v.capacity[k]} after stop {s.id}")
            t, here = begin + s.service_s, s.location_index
        for s in route_stops:
            if s.pair_id and s.kind == "delivery":
                pick = next((p for p in problem.stops if p.pair_id == s.pair_id and p.kind == "pickup"), None)
                if pick is not None and where.get(pick.id, 10**9) > where[s.id]:
                    violations.append(f"{v.id}: delivery {s.id} before (or without) its pickup {pick.id}")
        t = _drive(t, dur[here][v.end_index], pending, v.id, violations)  # breaks left are taken after the route
        if t > v.shift.end:
            violations.append(f"{v.id}: back at {t}, after the shift ends at {v.shift.end}")
        if v.max_work_s is not None and t - route.start_time > v.max_work_s:
            violations.append(f"{v.id}: works {t - route.start_time} s, limit {v.max_work_s}")
    dropped = {u.stop_id for u in plan.unassigned}
    violations += [f"locked stop {sid} not routed" for sid in dropped
                   if sid in stops and stops[sid].locked_vehicle is not None]
    for sid in stops:
        count = seen.get(sid, 0) + (sid in dropped)
        if count != 1:
            violations.append(f"stop {sid} routed or reported {count} times")
    distance = float(sum(r.distance_m for r in plan.routes))
    return CheckResult(not violations, violations, used, distance, [])


def _first_start(t: int, wins: list[TimeWindow]) -> int | None:
    return next((max(t, w.start) for w in wins if t <= w.end), None)


def _breaks_owed(v: Vehicle, route: Route, violations: list[str]) -> list[BreakTaken]:
    """The route's breaks still to place along it, after checking each owed break is taken once,
    inside its window, at full length (matched in window order). Breaks over before it leaves drop out."""
    taken = sorted(route.breaks_taken, key=lambda b: b.start)
    owed = sorted(v.breaks, key=lambda b: (b.window.start, b.window.end))
    if len(taken) != len(owed):
        violations.append(f"{v.id}: {len(taken)} breaks taken, {len(owed)} owed")
    for b, need in zip(taken, owed):
        if not need.window.contains(b.start) or b.duration_s < need.duration_s:
            violations.append(f"{v.id}: break at {b.start} for {b.duration_s} outside "
                              f"{need.window.start}..{need.window.end} or shorter than {need.duration_s}")
    return [b for b in taken if b.start + b.duration_s > route.start_time]


def _drive(t: int, travel: int, pending: list[BreakTaken], vid: str, violations: list[str]) -> int:
    """Arrival after leaving at `t`: every break that starts before arrival pauses the drive."""
    arrive = t + travel
    while pending and pending[0].start < arrive:
        b = pending.pop(0)
        if b.start < t:
            violations.append(f"{vid}: break at {b.start} overlaps a service or starts before the route")
        arrive += b.duration_s
    return arrive
