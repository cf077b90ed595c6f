"""Where a delivery is on its van's route: how many stops come before it, and which deliveries follow a stop.
Read from the route store's rows (the active plan); a carrier's delivery has no route and no stops count."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.db.models import Delivery
from hub.db.models.planning import RoutePlanRow, RouteStopRow

# A stop that is finished for its route: it no longer stands between the van and the next customer.
FINISHED_STATES = frozenset({"completed", "failed", "cancelled"})
FINISHED_STATUSES = frozenset({"delivered", "failed_attempt", "returned", "cancelled", "rescheduled"})


def _route_rows(session: Session, delivery_id: str) -> list[tuple[RouteStopRow, str]]:
    """The stops of the active route holding this delivery, in order, each with its delivery's status."""
    mine = session.execute(
        select(RouteStopRow).join(RoutePlanRow, RouteStopRow.plan_id == RoutePlanRow.id)
        .where(RouteStopRow.delivery_id == delivery_id, RoutePlanRow.status == "active")
        .order_by(RoutePlanRow.created_at.desc()).limit(1)).scalar_one_or_none()
    if mine is None:
        return []
    rows = session.execute(
        select(RouteStopRow, Delivery.status).join(Delivery, Delivery.id == RouteStopRow.delivery_id)
        .where(RouteStopRow.plan_id == mine.plan_id, RouteStopRow.vehicle_id == mine.vehicle_id)
        .order_by(RouteStopRow.sequence)).all()
    return [(row, status) for row, status in rows]


def _open(row: RouteStopRow, status: str) -> bool:
    return row.state not in FINISHED_STATES and status not in FINISHED_STATUSES


def stops_ahead(session: Session, delivery_id: str) -> int | None:
    """Unfinished stops before this delivery's on its route; None when it is on no route."""
    rows = _route_rows(session, delivery_id)
    mine = next((row for row, _ in rows if row.delivery_id == delivery_id), None)
    if mine is None:
        return None
    return sum(1 for row, status in rows if row.sequence < mine.sequence and _open(row, status))


def following(session: Session, delivery_id: str, count: int) -> list[str]:
    """The next `count` unfinished deliveries after this one on its route (whose stops-ahead just went down)."""
    rows = _route_rows(session, delivery_id)
    mine = next((row for row, _ in rows if row.delivery_id == delivery_id), None)
    if mine is None or count <= 0:
        return []
    return [row.delivery_id for row, status in rows if row.sequence > mine.sequence and _open(row, status)][:count]
