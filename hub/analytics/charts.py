"""The report's pictures: matplotlib's object API on the Agg canvas (no pyplot, no display, no network)."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Any

import h3
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

FIGURE_INCHES = (8.0, 4.0)  # half a laptop screen; two fit one A4 page
DPI = 100
MAX_BARS = 20  # more labelled bars than this are unreadable; the CSV has them all
REASON_COLOURS = ["#d62728", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"]


def _figure(title: str) -> tuple[Figure, Any]:
    fig = Figure(figsize=FIGURE_INCHES, dpi=DPI)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot(1, 1, 1)
    ax.set_title(title)
    ax.grid(True, alpha=0.3)
    return fig, ax


def _save(fig: Figure, path: Path) -> Path:
    fig.tight_layout()
    fig.savefig(path, format="png")
    return path


def _empty(ax: Any) -> None:
    ax.text(0.5, 0.5, "nothing to show in this range", ha="center", va="center", transform=ax.transAxes)


def rates_chart(rows: list[dict[str, Any]], path: Path) -> Path:
    fig, ax = _figure("On time, first-attempt success and CSAT, per day")
    days = [r["period_start"] for r in rows]
    if not rows:
        _empty(ax)
    for key, label in (("on_time_rate", "on time"), ("first_attempt_rate", "first attempt"), ("csat", "CSAT")):
        points = [(d, r[key] * 100) for d, r in zip(days, rows) if r[key] is not None]
        if points:
            ax.plot([p[0] for p in points], [p[1] for p in points], marker="o", label=label)
    ax.set_ylabel("%")
    ax.set_ylim(0, 105)
    if rows:
        ax.legend(loc="lower left")
    ax.tick_params(axis="x", labelrotation=60, labelsize=7)
    return _save(fig, path)


def bars_chart(labels: list[str], values: list[float], title: str, ylabel: str, path: Path) -> Path:
    fig, ax = _figure(title)
    pairs = [(label, value) for label, value in zip(labels, values) if value is not None][-MAX_BARS:]
    if not pairs:
        _empty(ax)
    else:
        ax.bar([p[0] for p in pairs], [p[1] for p in pairs],
               color=["#2ca02c" if p[1] >= 0 else "#d62728" for p in pairs])
    ax.set_ylabel(ylabel)
    ax.tick_params(axis="x", labelrotation=60, labelsize=7)
    return _save(fig, path)


def heatmap_chart(rows: list[dict[str, Any]], path: Path) -> Path:
    """Each hexagon drawn as its polygon, shaded by how many failures it holds, coloured by reason."""
    fig, ax = _figure("Failed deliveries by H3 hexagon and reason")
    if not rows:
        _empty(ax)
        return _save(fig, path)
    reasons = sorted({r["reason"] for r in rows})
    colour = {reason: REASON_COLOURS[i % len(REASON_COLOURS)] for i, reason in enumerate(reasons)}
    most = max(r["failed"] for r in rows)
    per_cell: dict[str, int] = defaultdict(int)
    for row in sorted(rows, key=lambda r: -r["failed"]):
        if per_cell[row["cell"]]:
            continue  # one colour per hexagon: its most frequent reason
        per_cell[row["cell"]] = row["failed"]
        boundary = h3.cell_to_boundary(row["cell"])
        ax.fill([p[1] for p in boundary], [p[0] for p in boundary], color=colour[row["reason"]],
                alpha=0.25 + 0.75 * row["failed"] / most, edgecolor="black", linewidth=0.3)
    for reason in reasons:
        ax.fill([], [], color=colour[reason], label=reason)
    ax.legend(loc="best", fontsize=7)
    ax.set_xlabel("longitude")
    ax.set_ylabel("latitude")
    ax.set_aspect("equal", adjustable="datalim")
    return _save(fig, path)


def planned_actual_chart(rows: list[dict[str, Any]], path: Path) -> Path:
    fig, ax = _figure("Route duration: planned against actual (hours)")
    pairs = [(r["planned_duration_s"] / 3600, r["actual_duration_s"] / 3600) for r in rows
             if r["planned_duration_s"] and r["actual_duration_s"]]
    if not pairs:
        _empty(ax)
    else:
        ax.scatter([p[0] for p in pairs], [p[1] for p in pairs], s=12)
        top = max(max(p) for p in pairs)
        ax.plot([0, top], [0, top], color="grey", linestyle="--", label="as planned")
        ax.legend(loc="upper left")
    ax.set_xlabel("planned")
    ax.set_ylabel("actual")
    return _save(fig, path)
