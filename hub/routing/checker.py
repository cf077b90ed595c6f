"""Independent feasibility checker for Solomon VRPTW plans, in double precision.

Deliberately shares no code with the solvers or the Solomon reader: it reads the file itself and
re-simulates every route from the customer numbers alone.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

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
