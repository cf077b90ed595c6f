"""What the hub knows about one delivery that its customer's page may draw on, read in one go (the I/O edge of
the tracking page; hub/customer/view.py decides what of it is shown).

The route (stops before this one, the driver and vehicle, the line still to drive) comes from the hub's own
tracking (hub.tracking.service.route_of_delivery: the active plan's route stops); the ETA from the latest
`delivery.eta_changed` event, else the planned stop's ETA; the position from the driver's newest ping.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.canonical.statuses import TERMINAL
from hub.config import Config
from hub.db.media import signed_url
from hub.db.models import Delivery, DeliveryEvent
from hub.db.models.execution import DriverPing
from hub.db.models.fleet import Assignment, Depot, Driver, Vehicle
from hub.db.models.planning import RoutePlanRow, RouteStopRow
from hub.ledger.envelope import utc
from hub.routing.matrix import LatLng
from hub.tracking.page_settings import PageSettings, load_page_settings
from hub.tracking.service import geocode, last_eta, route_of_delivery

RATED = "delivery.rated"
# A position older than this says where the driver was, not is: the page shows none rather than a stale dot.
POSITION_FRESH_FOR = timedelta(minutes=15)


@dataclass
class Route:
    stops_before: int  # stops still to serve before this one
    driver_id: str | None
    driver_first_name: str | None
    vehicle_name: str | None
    depot_offset_min: int | None
    line: list[LatLng] = field(default_factory=list)  # the remaining stops before this one, in driving order
    position: LatLng | None = None  # the driver's newest fresh ping


@dataclass
class Proof:
    captured_at: datetime
    recipient_name: str | None
    photo_url: str | None  # a relative signed link: served by this hub whatever its public URL
    signature_url: str | None


@dataclass
class Facts:
    delivery_id: str
    tenant_id: str
    status: str
    document: dict[str, Any]
    events: list[DeliveryEvent]
    settings: PageSettings
    destination: LatLng | None
    eta: datetime | None = None
    route: Route | None = None
    proof: Proof | None = None
    rating: dict[str, Any] | None = None
    ended_at: datetime | None = None  # when it reached a terminal status (the link's expiry counts from here)
    depot_offset_min: int | None = None  # the local time of the depot that serves it: the page's clock

    @property
    def head(self) -> int:
        return self.events[-1].sequence if self.events else 0


def first_name(full: str | None) -> str | None:
    """Only the first name reaches the customer: never the driver's full name."""
    words = (full or "").split()
    return words[0] if words else None


def ended_at(status: str, events: list[DeliveryEvent]) -> datetime | None:
    if status not in TERMINAL:
        return None
    for event in reversed(events):
        if event.type == "delivery.status_changed" and (event.data or {}).get("status") == status:
            return utc(event.occurred_at)
    return utc(events[-1].recorded_at) if events else None


def _relative(url: str, config: Config) -> str:
    return url[len(config.public_url):] if url.startswith(config.public_url) else url


def proof_of(events: list[DeliveryEvent], config: Config) -> Proof | None:
    """The newest proof of delivery: its first photo, signature and time (never its GPS position)."""
    pod = next((e for e in reversed(events) if e.type == "delivery.pod_captured"), None)
    if pod is None:
        return None
    data = pod.data or {}
    photos = data.get("photos") or []
    signature = data.get("signature")
    return Proof(captured_at=utc(pod.occurred_at), recipient_name=data.get("recipient_name"),
                 photo_url=_relative(signed_url(config, photos[0]["id"]), config) if photos else None,
                 signature_url=_relative(signed_url(config, signature["id"]), config) if signature else None)


def rating_of(events: list[DeliveryEvent]) -> dict[str, Any] | None:
    found = next((e for e in events if e.type == RATED), None)
    return dict(found.data) if found is not None else None


def _route(session: Session, delivery: Delivery, now: datetime) -> tuple[Route | None, datetime | None]:
    """The delivery's stop on the active plan, and the planned ETA there."""
    found = route_of_delivery(session, delivery)
    if found is None:
        return None, None
    view, mine = found
    before = [s for s in view.stops if s.sequence < mine.sequence and not s.done]
    row = session.execute(select(RouteStopRow).where(RouteStopRow.plan_id == view.route_id,
                                                     RouteStopRow.delivery_id == delivery.id)).scalars().first()
    driver = session.get(Driver, row.driver_id) if row is not None and row.driver_id else None
    if driver is None:
        driver = session.execute(select(Driver).where(Driver.tenant_id == delivery.tenant_id,
                                                      Driver.vehicle_id == view.vehicle_id)).scalars().first()
    vehicle = session.get(Vehicle, view.vehicle_id)
    plan = session.get(RoutePlanRow, view.route_id)
    depot = session.get(Depot, plan.depot_id) if plan is not None else None
    route = Route(stops_before=len(before), driver_id=driver.id if driver else None,
                  driver_first_name=first_name(driver.name) if driver else None,
                  vehicle_name=vehicle.name if vehicle else None,
                  depot_offset_min=depot.utc_offset_min if depot else None,
                  line=[s.location for s in before if s.location])
    if driver is not None:
        ping = session.execute(select(DriverPing).where(
            DriverPing.tenant_id == delivery.tenant_id, DriverPing.driver_id == driver.id,
            DriverPing.recorded_at >= now - POSITION_FRESH_FOR)
            .order_by(DriverPing.recorded_at.desc()).limit(1)).scalars().first()
        route.position = (ping.lat, ping.lng) if ping is not None else None
    return route, mine.planned_eta


def depot_offset(session: Session, delivery: Delivery) -> int | None:
    """The UTC offset of the depot that serves it: its latest route plan's, else its latest assignment's."""
    depot_id = session.execute(select(RoutePlanRow.depot_id).join(
        RouteStopRow, RouteStopRow.plan_id == RoutePlanRow.id).where(RouteStopRow.delivery_id == delivery.id)
        .order_by(RoutePlanRow.created_at.desc()).limit(1)).scalar_one_or_none()
    if depot_id is None:
        depot_id = session.execute(select(Assignment.depot_id).where(
            Assignment.delivery_id == delivery.id, Assignment.depot_id.is_not(None))
            .order_by(Assignment.attempt.desc()).limit(1)).scalar_one_or_none()
    depot = session.get(Depot, depot_id) if depot_id else None
    return depot.utc_offset_min if depot is not None else None


def gather(session: Session, delivery: Delivery, config: Config, now: datetime) -> Facts:
    events = list(session.execute(select(DeliveryEvent).where(DeliveryEvent.delivery_id == delivery.id)
                                  .order_by(DeliveryEvent.sequence)).scalars())
    geo = geocode(delivery)
    facts = Facts(delivery_id=delivery.id, tenant_id=delivery.tenant_id, status=delivery.status,
                  document=delivery.document, events=events, settings=load_page_settings(session, delivery.tenant_id),
                  destination=(geo["lat"], geo["lng"]) if geo else None,
                  ended_at=ended_at(delivery.status, events), rating=rating_of(events))
    if delivery.status not in TERMINAL:
        facts.route, planned = _route(session, delivery, now)
        facts.eta = last_eta(session, delivery.id) or planned
    facts.depot_offset_min = facts.route.depot_offset_min if facts.route else depot_offset(session, delivery)
    if delivery.status == "delivered":
        facts.proof = proof_of(events, config)
    return facts
