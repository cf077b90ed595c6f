"""Reading and steering stored plans: the views the API and CLI show, GeoJSON and PNG, dispatcher locks."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.db.models.planning import RoutePlanRow, RouteStopRow
from hub.planning.codec import plan_from_dict, problem_from_dict
from hub.routing.formats.geojson import plan_to_geojson
from hub.routing.model import REASONS


class PlanError(Exception):
    """A request about a plan that cannot be done; `path` names the offending input."""

    def __init__(self, status: int, code: str, message: str, path: str = "$") -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.path = status, code, message, path


def get_plan(session: Session, plan_id: str, tenant_id: str | None = None) -> RoutePlanRow:
    row = session.get(RoutePlanRow, plan_id)
    if row is None or (tenant_id is not None and row.tenant_id != tenant_id):
        raise PlanError(404, "not_found", f"no route plan with id {plan_id!r}")
    return row


def list_plans(session: Session, tenant_id: str, depot_id: str | None = None,
               plan_date: date | None = None) -> list[RoutePlanRow]:
    query = select(RoutePlanRow).where(RoutePlanRow.tenant_id == tenant_id)
    if depot_id:
        query = query.where(RoutePlanRow.depot_id == depot_id)
    if plan_date:
        query = query.where(RoutePlanRow.plan_date == plan_date)
    return list(session.execute(query.order_by(RoutePlanRow.plan_date.desc(), RoutePlanRow.depot_id,
                                               RoutePlanRow.version.desc())).scalars())


def summary(row: RoutePlanRow) -> dict[str, Any]:
    return {
        "id": row.id, "depot_id": row.depot_id, "date": row.plan_date.isoformat(), "version": row.version,
        "status": row.status, "trigger": row.trigger, "backend": row.backend, "objective": row.objective,
        "time_limit_s": row.time_limit_s,
        "totals": {"vehicles_used": row.vehicles_used, "stops": row.stops_planned, "unassigned": row.unassigned,
                   "distance_m": row.distance_m, "duration_s": row.duration_s, "cost": row.cost},
        "created_at": row.created_at.isoformat() if row.created_at else None,
    }


def _clock(origin: datetime, seconds: int) -> str:
    return (origin + timedelta(seconds=seconds)).isoformat()


def detail(session: Session, row: RoutePlanRow) -> dict[str, Any]:
    """The plan with every route's stops in order: arrival, wait, service start, departure, load after."""
    origin = datetime.fromisoformat(row.problem["origin"])
    dims = row.problem["dimension_names"]
    stops = {s.delivery_id: s for s in session.execute(
        select(RouteStopRow).where(RouteStopRow.plan_id == row.id)).scalars()}
    drivers = row.problem.get("drivers", {})
    demand = {s["id"]: s["demand"] or [0] * len(dims) for s in row.problem["stops"]}
    routes = []
    for r in row.plan["routes"]:
        items = []
        for seq, v in enumerate(r["visits"], start=1):
            stop = stops.get(v["stop_id"])
            items.append({
                "sequence": seq, "delivery_id": v["stop_id"], "arrival": _clock(origin, v["arrival"]),
                "wait_s": v["wait"], "service_start": _clock(origin, v["service_start"]),
                "departure": _clock(origin, v["departure"]),
                "load_after": dict(zip(dims, v["load_after"])),
                "state": stop.state if stop else "pending",
                "lock": ({"vehicle_id": stop.lock_vehicle_id, "position": stop.lock_position}
                         if stop and stop.lock_vehicle_id else None),
                "eta_sent_window": stop.eta_sent_window if stop else None,
            })
        routes.append({
            "vehicle_id": r["vehicle_id"], "driver_id": drivers.get(r["vehicle_id"]),
            "start": _clock(origin, r["start_time"]), "end": _clock(origin, r["end_time"]),
            "distance_m": r["distance_m"], "duration_s": r["duration_s"], "cost": r["cost"],
            "start_load": dict(zip(dims, (sum(col) for col in zip(*(demand[v["stop_id"]] for v in r["visits"]))))),
            "stops": items,
        })
    unassigned = [{"delivery_id": u["stop_id"], "reason": u["reason"],
                   "reason_text": REASONS.get(u["reason"], u["reason"]), "message": u.get("message", "")}
                  for u in row.plan["unassigned"]]
    unassigned += [{"delivery_id": u["stop_id"], "reason": u["reason"], "reason_text": u["message"],
                    "message": u["message"]} for u in row.plan.get("skipped", [])]
    return {**summary(row), "origin": row.problem["origin"], "dimensions": dims, "routes": routes,
            "unassigned": unassigned, "notes": row.plan.get("notes", [])}


def geojson(row: RoutePlanRow) -> dict[str, Any]:
    return plan_to_geojson(problem_from_dict(row.problem), plan_from_dict(row.plan))


def render(row: RoutePlanRow, path: str | Path) -> Path:
    from hub.routing.render import render_png  # matplotlib: only when a picture is asked for

    title = f"{row.problem.get('name') or row.depot_id} v{row.version}"
    return render_png(problem_from_dict(row.problem), plan_from_dict(row.plan), path, title=title)


def latest_version(session: Session, row: RoutePlanRow) -> RoutePlanRow:
    return session.execute(
        select(RoutePlanRow).where(RoutePlanRow.tenant_id == row.tenant_id, RoutePlanRow.depot_id == row.depot_id,
                                   RoutePlanRow.plan_date == row.plan_date)
        .order_by(RoutePlanRow.version.desc()).limit(1)).scalar_one()


def set_lock(session: Session, row: RoutePlanRow, delivery_id: str, vehicle_id: str,
             position: int | None) -> RouteStopRow:
    """Pin a stop of the current plan to a vehicle (and a position among its remaining stops); the next
    re-plan honours it and carries it over."""
    newest = latest_version(session, row)
    if newest.id != row.id:
        raise PlanError(409, "stale_plan", f"plan {row.id} is version {row.version}; the current one is "
                        f"{newest.id} (version {newest.version}): lock stops on that one", "$.plan_id")
    vehicles = {v["id"] for v in row.problem["vehicles"]}
    if vehicle_id not in vehicles:
        raise PlanError(422, "validation_failed", f"vehicle {vehicle_id!r} is not one of this plan's vehicles "
                        f"({', '.join(sorted(vehicles)) or 'none'})", "$.vehicle_id")
    if position is not None and position < 0:
        raise PlanError(422, "validation_failed", "position counts from 0 (the vehicle's next stop)", "$.position")
    stop = session.execute(select(RouteStopRow).where(RouteStopRow.plan_id == row.id,
                                                      RouteStopRow.delivery_id == delivery_id)).scalar_one_or_none()
    if stop is None:
        raise PlanError(404, "not_found", f"delivery {delivery_id!r} is not a stop of plan {row.id}", "$.delivery_id")
    if stop.state in ("completed", "failed", "cancelled"):
        raise PlanError(409, "stop_closed", f"the stop is already {stop.state}; it cannot move", "$.delivery_id")
    stop.lock_vehicle_id, stop.lock_position = vehicle_id, position
    return stop


def mark_eta_sent(session: Session, tenant_id: str, delivery_id: str, start: datetime, end: datetime) -> RouteStopRow:
    """Record the window the customer was told (the notifier calls this): later re-plans keep the stop's
    service start inside it, and carry it to every newer version."""
    stop = session.execute(
        select(RouteStopRow).join(RoutePlanRow, RouteStopRow.plan_id == RoutePlanRow.id)
        .where(RoutePlanRow.tenant_id == tenant_id, RoutePlanRow.status == "active",
               RouteStopRow.delivery_id == delivery_id)).scalar_one_or_none()
    if stop is None:
        raise PlanError(404, "not_found", f"delivery {delivery_id!r} is not a stop of a current plan", "$.delivery_id")
    if end < start:
        raise PlanError(422, "validation_failed", "the window ends before it starts", "$.end")
    stop.eta_sent_window = {"start": start.isoformat(), "end": end.isoformat()}
    return stop
