"""Plain-text plan summaries for the demo and the CLI."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click


def _load(stop: dict[str, Any]) -> str:
    load = stop.get("load_after")
    if isinstance(load, dict):
        return ", ".join(f"{k}={v}" for k, v in load.items())
    return "/".join(str(x) for x in load or ())


def _peak_load(route: dict[str, Any]) -> str:
    """The most the route carries after any stop (load on leaving the depot is not in the plan dict)."""
    loads = [s.get("load_after") for s in route.get("stops", route.get("visits", []))]
    if not loads:
        return "-"
    if isinstance(loads[0], dict):
        keys = list(loads[0])
        return ", ".join(f"{k}={max(load[k] for load in loads)}" for k in keys)
    return "/".join(str(max(col)) for col in zip(*loads))


def print_plan(plan: dict[str, Any], echo: Callable[[str], None] = click.echo) -> None:
    """Each route: vehicle, stops in order, km, hours, load; then the unassigned deliveries with reasons.

    Takes the API's plan view (GET /api/v1/plans/<id>, service.detail) or a bare RoutePlan.to_dict()."""
    routes = plan.get("routes", [])
    totals = plan.get("totals", {})
    head = f"Plan {plan['id']} v{plan['version']} ({plan['depot_id']}, {plan['date']})" if "id" in plan else "Plan"
    echo(f"{head}: {len(routes)} routes, {totals.get('distance_m', 0) / 1000:.1f} km, "
         f"{totals.get('duration_s', 0) / 3600:.1f} h, {totals.get('unassigned', 0)} unassigned")
    if plan.get("backend"):  # the routing engine's first note says why it chose this solver
        why = next((n.split(": ", 1)[1] for n in plan.get("notes", []) if n.startswith(f"backend {plan['backend']}: ")), "")
        echo(f"  planned by {plan['backend']}" + (f": {why}" if why else ""))
    for route in routes:
        stops = route.get("stops", route.get("visits", []))
        ids = [s.get("delivery_id", s.get("stop_id")) for s in stops]
        driver = f" / {route['driver_id']}" if route.get("driver_id") else ""
        if route.get("start_load"):  # the API view: what leaves the depot
            load = f"load at depot {_load({'load_after': route['start_load']})}"
        else:
            load = f"peak load {_peak_load(route)}"
        echo(f"  {route['vehicle_id']}{driver}: {len(stops)} stops, {route['distance_m'] / 1000:.1f} km, "
             f"{route['duration_s'] / 3600:.2f} h, {load}")
        for seq, (stop, ident) in enumerate(zip(stops, ids), start=1):
            when = stop.get("arrival")
            if isinstance(when, int):  # RoutePlan.to_dict(): seconds from the day's origin
                when = f"+{when // 3600:02d}:{when % 3600 // 60:02d}"
            echo(f"    {seq:>3}. {ident}  arrive {when}  load after {_load(stop)}")
    for item in plan.get("unassigned", []):
        ident = item.get("delivery_id", item.get("stop_id"))
        echo(f"  unassigned {ident}: {item.get('reason')} {item.get('message') or ''}".rstrip())
