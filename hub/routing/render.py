"""A PNG picture of a plan: one colour per route, depots as squares, unassigned stops as crosses.

Uses matplotlib's object API with the Agg canvas directly (no pyplot), so it needs no display and
changes no global backend in the process that calls it.
"""

from __future__ import annotations

import math
from pathlib import Path

from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from hub.routing.formats.geojson import DEPOT_COLOR, UNASSIGNED_COLOR, locations_by_index, route_color, route_path
from hub.routing.model import Location, Problem, Route, RoutePlan

# Sequence numbers next to stops help up to a few dozen stops; beyond that they overlap into noise.
MAX_LABELLED_STOPS = 60

# Legend entries past this many routes push the map off the canvas; the rest are summarised in one line.
MAX_LEGEND_ROUTES = 12

FIGURE_INCHES = (9.0, 7.5)  # fits a laptop screen and an A4 page at the default dpi
DEFAULT_DPI = 110  # ~1000 x 825 px: sharp enough to read labels, small enough to mail


def render_png(problem: Problem, plan: RoutePlan, path: str | Path, *, title: str | None = None,
               dpi: int = DEFAULT_DPI) -> Path:
    """Draw the plan to `path` (PNG) and return the path."""
    fig = Figure(figsize=FIGURE_INCHES, dpi=dpi)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot(1, 1, 1)
    where = locations_by_index(problem)
    routes = [r for r in plan.routes if r.visits]
    label_stops = sum(len(r.visits) for r in routes) <= MAX_LABELLED_STOPS
    handles: list[Line2D] = []

    for position, route in enumerate(routes):
        color = route_color(position)
        path_pts = route_path(problem, route, where)
        ax.plot([p.x for p in path_pts], [p.y for p in path_pts], "-", color=color, linewidth=1.8, alpha=0.85,
                zorder=2)
        stops = [(seq, problem.stop(v.stop_id).location) for seq, v in enumerate(route.visits, start=1)]
        located = [(seq, loc) for seq, loc in stops if loc is not None]
        ax.scatter([loc.x for _, loc in located], [loc.y for _, loc in located], s=28, color=color,
                   edgecolors="white", linewidths=0.6, zorder=3)
        if label_stops:
            for seq, loc in located:
                ax.annotate(str(seq), (loc.x, loc.y), xytext=(3, 3), textcoords="offset points", fontsize=7,
                            color=color, zorder=4)
        if position < MAX_LEGEND_ROUTES:
            handles.append(Line2D([], [], color=color, marker="o", linewidth=1.8, label=_route_label(route, problem)))
    if len(routes) > MAX_LEGEND_ROUTES:
        handles.append(Line2D([], [], color="none", label=f"... and {len(routes) - MAX_LEGEND_ROUTES} more routes"))

    depots = [d.location for d in problem.depots if d.location is not None]
    if depots:
        ax.scatter([d.x for d in depots], [d.y for d in depots], s=110, marker="s", color=DEPOT_COLOR,
                   edgecolors="white", linewidths=1.0, zorder=5)
        handles.append(Line2D([], [], color=DEPOT_COLOR, marker="s", linestyle="none", markersize=8, label="depot"))

    dropped = [problem.stop(u.stop_id).location for u in plan.unassigned]
    dropped_pts = [loc for loc in dropped if loc is not None]
    if dropped_pts:
        ax.scatter([p.x for p in dropped_pts], [p.y for p in dropped_pts], s=60, marker="x", color=UNASSIGNED_COLOR,
                   linewidths=1.8, zorder=5)
        handles.append(Line2D([], [], color=UNASSIGNED_COLOR, marker="x", linestyle="none", markersize=8,
                              label=f"unassigned ({len(plan.unassigned)})"))

    _set_aspect(ax, list(where.values()))
    ax.grid(True, linewidth=0.4, alpha=0.4)
    ax.set_title(title or plan_title(problem, plan), fontsize=11)
    if handles:
        ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, frameon=False)
    fig.tight_layout()
    out = Path(path)
    fig.savefig(out, format="png")
    return out


def _route_label(route: Route, problem: Problem) -> str:
    n = len(route.visits)
    return f"{route.vehicle_id}: {n} stop{'' if n == 1 else 's'}, {_distance(route.distance_m, problem)}"


def plan_title(problem: Problem, plan: RoutePlan) -> str:
    name = f"{problem.name}: " if problem.name else ""
    if problem.scale == 1:
        time_part = f"{plan.total_duration_s / 3600:.1f} h"
    else:
        time_part = f"{plan.total_duration_s / problem.scale:.0f} time units"
    return (f"{name}{plan.vehicles_used} vehicles, {_distance(plan.total_distance_m, problem)}, {time_part}, "
            f"{len(plan.unassigned)} unassigned")


def _distance(value: int, problem: Problem) -> str:
    """km for real maps (metres), file units for scaled benchmarks (ticks per unit)."""
    if problem.scale == 1:
        return f"{value / 1000:.1f} km"
    return f"{value / problem.scale:.1f} units"


def _set_aspect(ax: Axes, points: list[Location]) -> None:
    """Equal metres in both directions: a degree of longitude shrinks with cos(latitude)."""
    geographic = [p for p in points if not p.planar]
    if geographic:
        mean_lat = sum(p.lat for p in geographic) / len(geographic)
        # cos(84 deg) = 0.1: keeps the stretch finite for the (unlikely) polar depot.
        ax.set_aspect(1.0 / max(0.1, math.cos(math.radians(mean_lat))), adjustable="datalim")
        ax.set_xlabel("longitude")
        ax.set_ylabel("latitude")
    else:
        ax.set_aspect("equal", adjustable="datalim")
        ax.set_xlabel("x")
        ax.set_ylabel("y")
