"""Outbox handlers of route planning: "plan_routes" asks for a plan of the days an event touches, "plan_day"
computes one (hub/planning/days.py).

"plan_routes" follows `delivery.assigned` (own fleet, or leaving a plan) and `delivery.status_changed` to
cancelled, and schedules the depot's day a few seconds later, so a burst of assignments is planned once.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from hub.db.models import Delivery
from hub.db.models.fleet import Assignment, Depot
from hub.db.models.planning import RoutePlanRow, RouteStopRow
from hub.outbox.running import event_of, payload_of
from hub.planning.builder import delivery_day
from hub.planning.days import plan_depot_day, schedule_plan
from hub.runtime import Runtime


def run_plan_item(runtime: Runtime, item_id: int) -> None:
    """Work-row handler "plan_day"."""
    p = payload_of(runtime, item_id)
    if p:
        plan_depot_day(p["tenant_id"], p["depot_id"], p["date"], p.get("time_limit_s"), p.get("trigger") or "job")


def _plans_holding(session: Any, delivery_id: str) -> list[tuple[str, str, str]]:
    """(tenant, depot, day) of the current plans the delivery is a stop of."""
    rows = session.execute(
        select(RoutePlanRow.tenant_id, RoutePlanRow.depot_id, RoutePlanRow.plan_date)
        .join(RouteStopRow, RouteStopRow.plan_id == RoutePlanRow.id)
        .where(RouteStopRow.delivery_id == delivery_id, RoutePlanRow.status == "active")).all()
    return [(t, d, day.isoformat()) for t, d, day in rows]


def on_event(runtime: Runtime, item_id: int) -> None:
    """Outbox handler "plan_routes": which depot-days an event touches, each planned once after a short wait."""
    targets: set[tuple[str, str, str]] = set()
    with runtime.sessions() as session:
        event = event_of(session, item_id)
        if event is None:
            return
        data = event.data or {}
        if event.type == "delivery.assigned":
            targets.update(_plans_holding(session, event.delivery_id))  # it may leave a plan (now a carrier's)
            if data.get("capacity") == "own_fleet" and data.get("depot_id"):
                depot = session.get(Depot, data["depot_id"])
                delivery = session.get(Delivery, event.delivery_id)
                row = session.get(Assignment, data.get("assignment_id")) if data.get("assignment_id") else None
                if depot is not None and delivery is not None:
                    day = delivery_day(delivery.document, depot.utc_offset_min or 0) or (row.day if row else None)
                    if day is not None:
                        targets.add((event.tenant_id, depot.id, day.isoformat()))
        elif event.type == "delivery.status_changed" and data.get("status") == "cancelled":
            targets.update(_plans_holding(session, event.delivery_id))
    for tenant_id, depot_id, day in sorted(targets):
        schedule_plan(runtime, tenant_id, depot_id, day, trigger=event.type)
