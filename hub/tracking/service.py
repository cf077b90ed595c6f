"""Tracking on real events: recompute a route's remaining ETAs (from a ping or a stop's arrival / completion),
emit `delivery.eta_changed` and `delivery.exception` events, and apply the recovery policy on failed attempts.

Everything here writes in the caller's transaction; hub/jobs/track.py holds the outbox handlers around it.
Routes come from the route store (hub/planning: the active plan's `route_stops`); without one there is
nothing to recompute and only the per-delivery detectors run.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.canonical.fields import parse_aware_timestamp
from hub.canonical.validation import validate_document
from hub.db.models import Delivery, DeliveryEvent, Tenant
from hub.db.models.execution import DriverPing
from hub.db.models.fleet import Depot, Driver
from hub.db.models.planning import RoutePlanRow, RouteStopRow
from hub.execution.route import planned_stops
from hub.ledger.envelope import utc
from hub.ledger.events import append_event, iso
from hub.planning.codec import provider_for
from hub.planning.progress import record_stop_progress
from hub.routing.matrix import HaversineProvider, LatLng, MatrixProvider
from hub.tracking import exceptions as detect
from hub.tracking.eta import DEFAULT_ETA_THRESHOLD_S, RemainingStop, StopEta, eta_changed, recompute_etas
from hub.tracking.recovery import recover_after_failure

TRACKER = {"kind": "system", "id": "tracking"}
# Stops that are finished for this route: nothing to estimate for them any more.
DONE_STATUSES = frozenset({"delivered", "failed_attempt", "returned", "cancelled", "rescheduled"})
DONE_STOP_STATES = frozenset({"completed", "failed", "cancelled"})
# How far back a driver's pings are read for the deviation check: the deviation time plus slack for gaps.
PING_LOOKBACK = detect.DEVIATION_DURATION * 3


def threshold_s(session: Session, tenant_id: str) -> int:
    """The tenant's ETA change threshold: settings["tracking"]["eta_change_threshold_s"], else the default."""
    tenant = session.get(Tenant, tenant_id)
    value = ((tenant.settings or {}).get("tracking") or {}).get("eta_change_threshold_s") if tenant else None
    return int(value) if isinstance(value, (int, float)) and not isinstance(value, bool) and value >= 0 \
        else DEFAULT_ETA_THRESHOLD_S


# ---- routes ---------------------------------------------------------------------------------------------

@dataclass
class RouteStop:
    delivery: Delivery
    sequence: int
    location: LatLng | None
    service_s: int
    planned_eta: datetime | None
    state: str

    @property
    def done(self) -> bool:
        return self.delivery.status in DONE_STATUSES or self.state in DONE_STOP_STATES


@dataclass
class RouteView:
    route_id: str
    vehicle_id: str
    provider: MatrixProvider
    vehicle_type: str = "van"
    speed_factor: float = 1.0
    start: LatLng | None = None  # the depot the vehicle left
    stops: list[RouteStop] = field(default_factory=list)

    def remaining(self, after_sequence: int = 0) -> list[RouteStop]:
        return [s for s in self.stops if s.sequence > after_sequence and not s.done and s.location]

    def path_from(self, remaining: list[RouteStop]) -> list[LatLng]:
        """The polyline the vehicle should follow now: the last stop it left (or its depot), then what is left."""
        first = remaining[0].sequence if remaining else 10**9
        behind = [s.location for s in self.stops if s.sequence < first and s.location]
        origin = behind[-1] if behind else self.start
        return ([origin] if origin else []) + [s.location for s in remaining if s.location]


def geocode(delivery: Delivery) -> dict[str, float] | None:
    geo = ((delivery.document.get("dropoff") or {}).get("address") or {}).get("geo")
    return geo if isinstance(geo, dict) and "lat" in geo and "lng" in geo else None


def _load_route(session: Session, plan: Any, vehicle_id: str) -> RouteView:
    problem = plan.problem or {}
    stops_spec = {s["id"]: s for s in problem.get("stops", [])}
    vehicle = next((v for v in problem.get("vehicles", []) if v["id"] == vehicle_id), {})
    points = problem.get("points", [])
    start = points[vehicle["start_index"]] if vehicle and vehicle.get("start_index", -1) < len(points) else None
    try:
        provider: MatrixProvider = provider_for(problem["matrix"])  # the model the plan was made with
    except (KeyError, TypeError, ValueError):
        provider = HaversineProvider()
    view = RouteView(plan.id, vehicle_id, provider, vehicle.get("vehicle_type", "van"),
                     float(vehicle.get("speed_factor") or 1.0), tuple(start) if start else None)  # type: ignore[arg-type]
    rows = session.execute(select(RouteStopRow).where(RouteStopRow.plan_id == plan.id,
                                                      RouteStopRow.vehicle_id == vehicle_id)
                           .order_by(RouteStopRow.sequence)).scalars()
    for row in rows:
        delivery = session.get(Delivery, row.delivery_id)
        if delivery is None:
            continue
        spec = stops_spec.get(row.delivery_id, {})
        geo = geocode(delivery)
        location = (geo["lat"], geo["lng"]) if geo else (tuple(spec["location"]) if spec.get("location") else None)
        view.stops.append(RouteStop(delivery, row.sequence, location, int(spec.get("service_s", 0)),  # type: ignore[arg-type]
                                    utc(row.eta) if row.eta else None, row.state))
    return view


def route_of_delivery(session: Session, delivery: Delivery) -> tuple[RouteView, RouteStop] | None:
    """The active plan's route that holds this delivery, and its stop on it."""
    found = session.execute(
        select(RouteStopRow, RoutePlanRow).join(RoutePlanRow, RouteStopRow.plan_id == RoutePlanRow.id)
        .where(RouteStopRow.delivery_id == delivery.id, RoutePlanRow.status == "active")
        .order_by(RoutePlanRow.created_at.desc()).limit(1)).first()
    if found is None:
        return None
    stop_row, plan = found
    view = _load_route(session, plan, stop_row.vehicle_id)
    mine = next((s for s in view.stops if s.delivery.id == delivery.id), None)
    return (view, mine) if mine else None


def route_of_driver(session: Session, tenant_id: str, driver_id: str, at: datetime) -> RouteView | None:
    """The driver's route on the depot's local day of `at` (stops naming the driver, or the driver's vehicle)."""
    driver = session.get(Driver, driver_id)
    if driver is None or driver.tenant_id != tenant_id:
        return None
    depot = session.get(Depot, driver.depot_id)
    day = (utc(at) + timedelta(minutes=depot.utc_offset_min if depot else 0)).date()
    stops = planned_stops(session, driver, day)
    return _load_route(session, session.get(RoutePlanRow, stops[0].plan_id), stops[0].vehicle_id) if stops else None


# ---- events ---------------------------------------------------------------------------------------------

def last_eta(session: Session, delivery_id: str) -> datetime | None:
    data = session.execute(select(DeliveryEvent.data).where(
        DeliveryEvent.delivery_id == delivery_id, DeliveryEvent.type == "delivery.eta_changed")
        .order_by(DeliveryEvent.sequence.desc()).limit(1)).scalar_one_or_none()
    return parse_aware_timestamp((data or {}).get("eta"))


def exception_since(session: Session, delivery_id: str, code: str, since: datetime | None = None,
                    after_sequence: int = 0) -> bool:
    """Was an exception with this code recorded (after that event / occurring since that time)? Keeps detectors
    quiet when a job is retried or the same condition lasts."""
    rows = session.execute(select(DeliveryEvent).where(
        DeliveryEvent.delivery_id == delivery_id, DeliveryEvent.type == "delivery.exception",
        DeliveryEvent.sequence > after_sequence)).scalars()
    return any(e.data.get("code") == code and (since is None or utc(e.occurred_at) >= since) for e in rows)


def window_set_at(session: Session, delivery_id: str) -> int:
    """The sequence of the delivery's latest created / updated event: where its current window was set."""
    return session.execute(select(DeliveryEvent.sequence).where(
        DeliveryEvent.delivery_id == delivery_id,
        DeliveryEvent.type.in_(("delivery.created", "delivery.updated")))
        .order_by(DeliveryEvent.sequence.desc()).limit(1)).scalar_one_or_none() or 0


def emit_exception(session: Session, delivery: Delivery, rec: detect.Record,
                   occurred_at: datetime | None = None) -> DeliveryEvent:
    data = detect.to_event_data(rec)
    errors = validate_document("events/exception.v1", data)
    if errors:  # our own construction: a bug, never the caller's fault
        raise ValueError(f"exception event does not match its schema: {errors}")
    return append_event(session, delivery, "delivery.exception", data, actor=TRACKER, occurred_at=occurred_at)


def refresh_etas(session: Session, route: RouteView, remaining: list[RouteStop], position: LatLng, now: datetime,
                 *, source: str, busy_until: datetime | None = None) -> list[StopEta]:
    """Recompute the ETAs of `remaining`; emit eta_changed past the tenant's threshold, and a late_risk
    exception when an estimate crosses the promised window's end."""
    if not remaining:
        return []
    threshold = threshold_s(session, remaining[0].delivery.tenant_id)
    plan = [RemainingStop(s.delivery.id, s.location,  # type: ignore[arg-type]
                          s.service_s, parse_aware_timestamp((s.delivery.document.get("promised_window") or {}).get("start")),
                          parse_aware_timestamp((s.delivery.document.get("promised_window") or {}).get("end")))
            for s in remaining]
    etas = recompute_etas(position, now, plan, vehicle_type=route.vehicle_type, provider=route.provider,
                          speed_factor=route.speed_factor, busy_until=busy_until)
    for stop, spec, eta in zip(remaining, plan, etas):
        old = last_eta(session, stop.delivery.id) or stop.planned_eta
        new = eta.service_start  # when the driver rings: after any wait for the window to open
        if not eta_changed(old, new, threshold):
            continue
        data: dict[str, Any] = {"eta": iso(new), "source": source, "route_id": route.route_id}
        if old is not None:
            data["previous_eta"] = iso(old)
        window = stop.delivery.document.get("promised_window")
        if window:
            data["window"] = window
        errors = validate_document("events/eta_changed.v1", data)
        if errors:
            raise ValueError(f"eta_changed event does not match its schema: {errors}")
        append_event(session, stop.delivery, "delivery.eta_changed", data, actor=TRACKER)
        rec = detect.late_risk(new, spec.window_end)
        if rec and not exception_since(session, stop.delivery.id, "late_risk",
                                       after_sequence=window_set_at(session, stop.delivery.id)):
            emit_exception(session, stop.delivery, rec)  # once per promised window, not on every estimate
    return etas


def on_status_event(session: Session, event: DeliveryEvent) -> None:
    """A stop's arrival, completion or failure: its own detectors, the route's ETAs, and recovery on failure."""
    data = event.data or {}
    status = data.get("status")
    if event.type != "delivery.status_changed" or status not in ("arriving", "delivered", "failed_attempt"):
        return
    delivery = session.get(Delivery, event.delivery_id)
    if delivery is None:
        return
    at = utc(event.occurred_at)
    record_stop_progress(session, delivery.id, status, at)
    rec = detect.failed_attempt(data) if status == "failed_attempt" else (
        detect.address_mismatch(data.get("location"), geocode(delivery)) if status == "delivered" else None)
    if rec and not exception_since(session, delivery.id, rec["type"], after_sequence=event.sequence):
        emit_exception(session, delivery, rec, occurred_at=at)
    found = route_of_delivery(session, delivery)
    if found is not None:
        route, stop = found
        loc = data.get("location")
        position = (loc["lat"], loc["lng"]) if isinstance(loc, dict) and "lat" in loc else stop.location
        if position is not None:
            busy = at + timedelta(seconds=stop.service_s) if status == "arriving" else None
            refresh_etas(session, route, route.remaining(stop.sequence), position, at,
                         source="driver_position", busy_until=busy)
    if status == "failed_attempt":
        recover_after_failure(session, delivery, event)


def on_ping(session: Session, tenant_id: str, driver_id: str, ping: dict[str, Any]) -> None:
    """A driver's position ({"lat", "lng", "recorded_at"}): the route's ETAs, and the deviation check."""
    at = parse_aware_timestamp(ping.get("recorded_at"))
    if at is None or ping.get("lat") is None or ping.get("lng") is None:
        return
    route = route_of_driver(session, tenant_id, driver_id, at)
    if route is None:
        return
    remaining = route.remaining()
    if not remaining:
        return
    position = (float(ping["lat"]), float(ping["lng"]))
    refresh_etas(session, route, remaining, position, at, source="driver_position")

    rows = session.execute(select(DriverPing).where(
        DriverPing.tenant_id == tenant_id, DriverPing.driver_id == driver_id,
        DriverPing.recorded_at >= at - PING_LOOKBACK, DriverPing.recorded_at <= at)).scalars()
    track = {utc(r.recorded_at): detect.Ping(r.lat, r.lng, utc(r.recorded_at)) for r in rows}
    track[at] = detect.Ping(position[0], position[1], at)
    rec = detect.route_deviation(list(track.values()), route.path_from(remaining))
    if rec is None:
        return
    nxt = remaining[0].delivery
    since = parse_aware_timestamp(rec["details"]["since"])
    if not exception_since(session, nxt.id, "route_deviation", since=since):
        emit_exception(session, nxt, rec, occurred_at=at)
