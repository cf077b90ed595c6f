"""A benchmark's results: named figures with their unit and, where the issue set one, their target; the
percentiles they are made of; and the table that prints them with ok or MISSED against each target."""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass
class Metric:
    name: str
    value: float | None
    unit: str
    target: str = ""
    met: bool | None = None  # None: no target


def percentile(values: list[float], p: float) -> float | None:
    """Nearest rank: the smallest value with at least p percent of the values at or below it."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


def spread(name: str, values: list[float], p95_target: float | None = None) -> list[Metric]:
    p95 = percentile(values, 95)
    target = Metric(f"{name} p95", p95, "s", f"<= {p95_target:g}", p95 is not None and p95 <= p95_target) \
        if p95_target is not None else Metric(f"{name} p95", p95, "s")
    return [Metric(f"{name} p50", percentile(values, 50), "s"), target,
            Metric(f"{name} max", max(values) if values else None, "s")]


def fmt(value: float | None, unit: str) -> str:
    if value is None:
        return "n/a"
    return f"{value:.0f}" if unit == "deliveries" else f"{value:.2f}"


def print_table(metrics: list[Metric], header: str) -> None:
    print(header)
    width = max(len(m.name) for m in metrics)
    print(f"{'metric':<{width}}  {'value':>9}  {'unit':<10}  target")
    for m in metrics:
        verdict = "" if m.met is None else ("ok" if m.met else "MISSED")
        print(f"{m.name:<{width}}  {fmt(m.value, m.unit):>9}  {m.unit:<10}  {m.target or '-'}  {verdict}".rstrip())
