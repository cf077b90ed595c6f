"""A driver's route for a day, and starting it.

Where the stops come from, in order of preference:
1. the route store (hub/planning: `route_plans` / `route_stops`): the day's active plan version, the
   stops whose driver is this driver (or, with no driver named, whose vehicle is the driver's), by sequence;
2. when the route store has nothing for this driver and day, the canonical route events in the deliveries'
   histories (`route.planned` / `route.updated`, data per schemas/events/route_planned.v1.json): the latest
   one of each delivery names its route, driver or vehicle, the day (`starts_at`, in the planner's offset)
   and the stop's position.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from hub.canonical.statuses import InvalidTransition
from hub.db.models import Delivery, DeliveryEvent
from hub.db.models.fleet import Driver
from hub.db.models.planning import RoutePlanRow, RouteStopRow
from hub.execution.custody import holds, record_handoff
from hub.ledger.deliveries import change_status
from hub.ledger.events import iso
from hub.ledger.readiness import awaiting_warehouse

ROUTE_EVENTS = ("route.planned", "route.updated")
# Routes are planned at most a few days ahead; older route events cannot name today's stops.
ROUTE_EVENT_LOOKBACK = timedelta(days=7)
# How starting a route moves each stop: planned -> dispatched -> in_transit, and so on.
START_PATH: dict[str, tuple[str, ...]] = {
    "planned": ("dispatched", "in_transit"),
    "assigned": ("dispatched", "in_transit"),
    "dispatched": ("in_transit",),
    "picked_up": ("in_transit",),
    "rescheduled": ("in_transit",),
}
HIDDEN = frozenset({"cancelled"})  # never shown on a driver's route


@dataclass
class Stop:
    position: int
    delivery: Delivery
    route_id: str | None = None
    eta: str | None = None


@dataclass
class DriverRoute:
    driver_id: str
    day: date
    source: str  # route_plans | route_events
    route_id: str | None = None
    vehicle_id: str | None = None
    stops: list[Stop] = field(default_factory=list)

    def delivery_ids(self) -> set[str]:
        return {s.delivery.id for s in self.stops}


def planned_stops(session: Session, driver: Driver, day: date) -> list[RouteStopRow]:
    """The stops of the day's active plan that this driver serves (stops naming the driver, or naming no driver
    but the driver's vehicle), in their planned sequence. The one answer to "the route of this driver"."""
    mine = or_(RouteStopRow.driver_id == driver.id,
               and_(RouteStopRow.driver_id.is_(None), RouteStopRow.vehicle_id == (driver.vehicle_id or "")))
    return list(session.execute(
        select(RouteStopRow).join(RoutePlanRow, RouteStopRow.plan_id == RoutePlanRow.id)
        .where(RoutePlanRow.tenant_id == driver.tenant_id, RoutePlanRow.plan_date == day,
               RoutePlanRow.status == "active", mine)
        .order_by(RouteStopRow.sequence)).scalars())


def _from_route_store(session: Session, driver: Driver, day: date) -> DriverRoute | None:
    """The driver's planned stops of the day, as the driver sees them. None when no plan has any."""
    rows = planned_stops(session, driver, day)
    if not rows:
        return None
    found = DriverRoute(driver.id, day, "route_plans", route_id=rows[0].plan_id, vehicle_id=rows[0].vehicle_id)
    for stop in rows:
        delivery = session.get(Delivery, stop.delivery_id)
        if delivery is not None and delivery.tenant_id == driver.tenant_id and delivery.status not in HIDDEN:
            found.stops.append(Stop(stop.sequence, delivery, stop.plan_id, iso(stop.eta) if stop.eta else None))
    return found


def _local_day(value: str | None, fallback: datetime) -> date:
    if value:
        try:
            return datetime.fromisoformat(value.replace("Z", "+00:00")).date()  # the planner's own offset
        except ValueError:
            pass
    return fallback.date()


def _from_route_events(session: Session, driver: Driver, day: date, now: datetime) -> DriverRoute:
    events = session.execute(
        select(DeliveryEvent).where(DeliveryEvent.tenant_id == driver.tenant_id, DeliveryEvent.type.in_(ROUTE_EVENTS),
                                    DeliveryEvent.recorded_at >= now - ROUTE_EVENT_LOOKBACK)
        .order_by(DeliveryEvent.delivery_id, DeliveryEvent.sequence)).scalars().all()
    latest: dict[str, DeliveryEvent] = {}
    for event in events:
        latest[event.delivery_id] = event  # ordered by sequence: the last one wins
    found = DriverRoute(driver.id, day, "route_events", vehicle_id=driver.vehicle_id)
    for delivery_id, event in latest.items():
        data = event.data or {}
        mine = data.get("driver_id") == driver.id or (
            not data.get("driver_id") and driver.vehicle_id and data.get("vehicle_id") == driver.vehicle_id)
        if not mine or _local_day(data.get("starts_at"), event.occurred_at) != day:
            continue
        stop = next((s for s in data.get("stops", []) if s.get("delivery_id") == delivery_id), None)
        delivery = session.get(Delivery, delivery_id)
        if stop is None or delivery is None or delivery.status in HIDDEN:
            continue
        found.route_id = found.route_id or data.get("route_id")
        found.stops.append(Stop(int(stop["position"]), delivery, data.get("route_id"), stop.get("eta")))
    found.stops.sort(key=lambda s: (s.position, s.delivery.id))
    return found


def driver_route(session: Session, driver: Driver, day: date, now: datetime) -> DriverRoute:
    return _from_route_store(session, driver, day) or _from_route_events(session, driver, day, now)


def stop_out(stop: Stop) -> dict[str, Any]:
    doc = stop.delivery.document
    out = {"position": stop.position, "delivery_id": stop.delivery.id, "status": stop.delivery.status,
           "route_id": stop.route_id, "eta": stop.eta, "dropoff": doc.get("dropoff"),
           "window": doc.get("promised_window"), "parcels": doc.get("parcels"),
           "requirements": doc.get("requirements", {}), "notes": doc.get("notes"),
           "reference": doc.get("source", {}).get("external_order_number") or doc.get("source", {}).get("external_id")}
    return {k: v for k, v in out.items() if v is not None}


def start_route(session: Session, route: DriverRoute, driver: Driver, actor: dict[str, Any],
                occurred_at: datetime | None = None) -> list[dict[str, Any]]:
    """Move every stop that is waiting at the depot onto the road, with a warehouse -> driver handoff.
    Stops already under way or finished are left as they are; running it twice changes nothing."""
    results = []
    for stop in route.stops:
        delivery, before = stop.delivery, stop.delivery.status
        path = START_PATH.get(before)
        if not path:
            results.append({"delivery_id": delivery.id, "status": before, "changed": False})
            continue
        if awaiting_warehouse(session, delivery, occurred_at):
            results.append({"delivery_id": delivery.id, "status": before, "changed": False,
                            "reason": "held: the warehouse has not reported it ready for dispatch"})
            continue
        try:
            for status in path:
                change_status(session, delivery, status, actor=actor, reason="route started",
                              occurred_at=occurred_at)
        except InvalidTransition as exc:
            results.append({"delivery_id": delivery.id, "status": delivery.status, "changed": False,
                            "reason": str(exc)})
            continue
        if not holds(session, delivery, driver.id):  # a second attempt by the same driver: no new handoff
            record_handoff(session, delivery, {"kind": "warehouse", "id": driver.depot_id},
                           {"kind": "driver", "id": driver.id}, actor=actor, occurred_at=occurred_at)
        results.append({"delivery_id": delivery.id, "status": delivery.status, "changed": True})
    return results
