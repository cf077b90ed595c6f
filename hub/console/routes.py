"""The live map and the routes page: a depot's day drawn by the hub (kept current in place by console.js
through the server-sent events of hub/console/live.py), the plan's routes planned against actual, and the
plan operations the API offers (lock, move, re-plan), called through the same hub.planning functions."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from sqlalchemy.orm import Session

from hub.console.blueprint import blp
from hub.console.deliveries import parse_day
from hub.console.plans import depot_day, depots, picture, tile_template
from hub.console.session import operator, require, same_tenant
from hub.db.engine import transaction
from hub.db.models import Tenant, utcnow
from hub.db.models.fleet import Depot
from hub.planning import service
from hub.planning.days import schedule_plan
from hub.runtime import get_runtime

# Without JavaScript the map page reloads itself this often: drivers' phones report about every 30 s, and a
# dispatcher glancing at the map needs no more than a minute. With it, server-sent events update it in place.
RELOAD_S = 60
MAP_FRAGMENT = "console/_map.html"  # the SVG and its legend: the page includes it, the live stream re-renders it


def chosen_depot(db: Session) -> Depot | None:
    """The depot asked for (?depot=), else the tenant's first; None when the tenant has none."""
    wanted = request.values.get("depot")
    if wanted:
        return same_tenant(db.get(Depot, wanted))  # type: ignore[no-any-return]
    found = depots(db, operator().tenant_id)
    return found[0] if found else None


def map_context(db: Session, tenant_id: str, depot: Depot | None, day: date) -> dict[str, Any]:
    """What MAP_FRAGMENT draws: the depot's day and its picture (None without a depot)."""
    if depot is None:
        return {"day": day, "depot": None, "depot_day": None, "picture": None}
    tenant = db.get(Tenant, tenant_id)
    found = depot_day(db, depot, day, utcnow())
    return {"day": day, "depot": depot, "depot_day": found,
            "picture": picture(found, tile_template(tenant.settings if tenant else None))}


def _day_context(db: Session) -> dict[str, Any]:
    day = parse_day(request.values.get("day"))
    tenant_id = operator().tenant_id
    return {"depots": depots(db, tenant_id), "reload_s": RELOAD_S,
            **map_context(db, tenant_id, chosen_depot(db), day)}


@blp.route("/map")
@require("see")
def live_map() -> str:
    with get_runtime().sessions() as db:
        return render_template("console/map.html", **_day_context(db))


@blp.route("/routes")
@require("see")
def routes() -> str:
    with get_runtime().sessions() as db:
        context = _day_context(db)
        found = context["depot_day"]
        detail = service.detail(db, found.plan) if found is not None and found.plan is not None else None
        return render_template("console/routes.html", detail=detail, **context)


def _back(depot_id: str, day: str) -> Any:
    return redirect(url_for("console.routes", depot=depot_id, day=day))


@blp.route("/routes/plan", methods=["POST"])
@require("act")
def plan_day() -> Any:
    """Plan (or re-plan) the depot's day in the background, as POST /api/v1/plans and /replan do without wait."""
    day = parse_day(request.form.get("day"))
    with get_runtime().sessions() as db:
        depot = chosen_depot(db)
        if depot is None:
            abort(404)
        depot_id = depot.id
    schedule_plan(get_runtime(), operator().tenant_id, depot_id, day.isoformat(), delay_s=0, trigger="console.replan")
    flash(f"Planning {day.isoformat()} for this depot now; the page shows the new version when it is ready.", "ok")
    return _back(depot_id, day.isoformat())


@blp.route("/routes/<plan_id>/stops/<delivery_id>/move", methods=["POST"])
@require("act")
def move_stop(plan_id: str, delivery_id: str) -> Any:
    """Pin a stop to a vehicle (at a position, when given) and re-plan: the API's lock and move."""
    vehicle_id = request.form.get("vehicle_id", "")
    position_text = (request.form.get("position") or "").strip()
    if position_text and not position_text.isdigit():
        abort(400, "the position is a number: 1 for the vehicle's next stop")
    position = int(position_text) - 1 if position_text else None  # people count from 1; the planner from 0
    try:
        with transaction(get_runtime().sessions) as db:
            row = service.get_plan(db, plan_id, operator().tenant_id)
            service.set_lock(db, row, delivery_id, vehicle_id, position if position is None else max(0, position))
            depot_id, day = row.depot_id, row.plan_date.isoformat()
    except service.PlanError as exc:
        if exc.code == "not_found" and exc.path == "$":  # another tenant's plan, or none: it does not exist
            abort(404)
        flash(exc.message, "error")
        return redirect(request.referrer or url_for("console.routes"))
    schedule_plan(get_runtime(), operator().tenant_id, depot_id, day, delay_s=0, trigger="console.move")
    flash(f"Stop pinned to {vehicle_id}; re-planning now.", "ok")
    return _back(depot_id, day)
