"""What happened at a stop, written onto the active plan's stop row: its state (arrived, completed, failed),
when the vehicle got there and when it left. The plan API shows the state; the next re-plan starts each
vehicle from where and when it really left its last finished stop, not from where the plan said it would."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.db.models.planning import RoutePlanRow, RouteStopRow
from hub.planning.planner import STOP_STATE


def record_stop_progress(session: Session, delivery_id: str, status: str, at: datetime) -> RouteStopRow | None:
    """Called when a delivery on a route changes status; None when the status says nothing about the stop
    or no active plan holds the delivery."""
    state = STOP_STATE.get(status)
    if state is None:
        return None
    row = session.execute(
        select(RouteStopRow).join(RoutePlanRow, RouteStopRow.plan_id == RoutePlanRow.id)
        .where(RouteStopRow.delivery_id == delivery_id, RoutePlanRow.status == "active")
        .order_by(RoutePlanRow.created_at.desc()).limit(1)).scalar_one_or_none()
    if row is None:
        return None
    row.state = state
    row.arrived_at = row.arrived_at or at
    if state != "arrived":
        row.departed_at = at
    return row
