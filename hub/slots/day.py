"""A depot's day as the slot engine sees it: what is left of each vehicle's route in the current plan, plus the
stops the plan does not hold yet (deliveries assigned since it was made, held and confirmed reservations),
placed by cheapest insertion. Reads the database; the arithmetic is hub/slots/insertion.py's.

No plan yet: every vehicle with an available driver starts its shift empty, so what is open is what the
fleet's shifts, capacities and the reservations already held leave.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.assignment import facts_of
from hub.db.models import Tenant
from hub.db.models.fleet import Depot, Driver, Vehicle
from hub.db.models.planning import RoutePlanRow, RouteStopRow
from hub.db.models.slots import SlotReservation
from hub.planning.builder import BASE_SPEED_KMH, address_key, day_origin, hhmm_s, pair_fleet
from hub.planning.codec import MATRIX_VEHICLE_TYPE, provider_for
from hub.planning.planner import PLANNABLE, depot_deliveries
from hub.routing.matrix import DEFAULT_ROAD_FACTOR, HaversineProvider, MatrixProvider, ceil_int, haversine_m
from hub.routing.service_time import ServiceTimeModel
from hub.slots.insertion import LatLng, PlannedStop, RouteState, Schedule, Travel, add_stops, schedule

CLOSED_STOP_STATES = frozenset({"completed", "failed", "cancelled"})
# The matrix the planner prices a day without a plan with (hub/planning/builder.py does the same).
DEFAULT_MATRIX = {"provider": "haversine", "road_factor": DEFAULT_ROAD_FACTOR, "base_speed_kmh": BASE_SPEED_KMH}


@dataclass
class DayPicture:
    depot: Depot
    day: date
    origin: datetime  # the depot's local midnight
    routes: list[RouteState]
    schedules: list[Schedule]
    travel: Travel
    not_before: int  # seconds from origin: nothing leaves before now
    plan_id: str | None = None
    left_out: list[str] = field(default_factory=list)  # stops that fit nowhere (an over-full day)


def pair_travel(provider: MatrixProvider) -> Travel:
    """Driving seconds between two points, priced by the plan's own matrix provider, remembered per pair. The
    haversine provider's own arithmetic (road factor, speed, rounding up) is used directly for it: a 2x2
    matrix per pair would cost ten times as much for the same number."""
    if isinstance(provider, HaversineProvider):
        speed = provider.speed_mps(MATRIX_VEHICLE_TYPE)

        @lru_cache(maxsize=65_536)
        def direct(a: LatLng, b: LatLng) -> int:
            return 0 if a == b else ceil_int(haversine_m(a, b) * provider.road_factor / speed)
        return direct

    @lru_cache(maxsize=65_536)
    def travel(a: LatLng, b: LatLng) -> int:
        if a == b:
            return 0
        return provider.matrices([a, b], MATRIX_VEHICLE_TYPE).durations_s[0][1]
    return travel


def service_model(session: Session, tenant_id: str) -> ServiceTimeModel:
    tenant = session.get(Tenant, tenant_id)
    stored = ((tenant.settings or {}).get("routing") or {}).get("service_time_model") if tenant else None
    return ServiceTimeModel.from_dict(stored) if stored else ServiceTimeModel()


def _routes_from_plan(session: Session, plan: RoutePlanRow, not_before: int) -> list[RouteState]:
    problem, doc = plan.problem, plan.plan
    points = [(float(p[0]), float(p[1])) for p in problem["points"]]
    stops = {s["id"]: s for s in problem["stops"]}
    closed = set(session.execute(select(RouteStopRow.delivery_id).where(
        RouteStopRow.plan_id == plan.id, RouteStopRow.state.in_(CLOSED_STOP_STATES))).scalars())
    visits = {r["vehicle_id"]: r for r in doc["routes"]}
    routes = []
    for v in problem["vehicles"]:
        route = visits.get(v["id"]) or {"visits": [], "start_time": v["shift"][0]}
        shift_start, shift_end = v["shift"]
        here, leave = points[v["start_index"]], max(shift_start, not_before)
        remaining: list[PlannedStop] = []
        for visit in route["visits"]:
            stop = stops.get(visit["stop_id"])
            if stop is None:
                continue
            if visit["stop_id"] in closed:  # done: the van goes on from there
                here, leave = points[stop["location_index"]], max(visit["departure"], not_before)
                remaining.clear()
                continue
            window = stop["time_windows"][0] if stop["time_windows"] else [shift_start, shift_end]
            demand = tuple(stop["demand"]) or (0,) * len(problem["dimension_names"])
            remaining.append(PlannedStop(stop["id"], points[stop["location_index"]], int(stop["service_s"]),
                                         (int(window[0]), int(window[1])), demand))
        started = bool(route["visits"]) and leave > shift_start
        max_work = v.get("max_work_s")
        latest_end = shift_end
        if max_work and route["visits"]:
            latest_end = min(shift_end, int(route["start_time"]) + int(max_work))
        load = tuple(sum(s.demand[k] for s in remaining) for k in range(len(v["capacity"])))
        routes.append(RouteState(
            vehicle_id=v["id"], start_point=here, end_point=points[v["end_index"]], start_time=leave,
            latest_end=latest_end, capacity=tuple(v["capacity"]), load=load, stops=tuple(remaining),
            speed_factor=float(v.get("speed_factor") or 1.0),
            max_work_s=None if route["visits"] or started or not max_work else int(max_work)))
    return routes


def _routes_from_fleet(session: Session, depot: Depot, not_before: int) -> list[RouteState]:
    fleet = pair_fleet(session.execute(select(Vehicle).where(Vehicle.depot_id == depot.id)).scalars(),
                       session.execute(select(Driver).where(Driver.depot_id == depot.id)).scalars())
    home = (float(depot.lat), float(depot.lng))
    routes = []
    for vehicle, driver in fleet:
        start, end = hhmm_s(driver.shift_start), hhmm_s(driver.shift_end)
        end = end + 86_400 if end <= start else end  # an overnight shift ends the next day
        cap = tuple(10**9 if c is None else int(c) for c in
                    (vehicle.capacity_weight_g, vehicle.capacity_volume_cm3, vehicle.capacity_parcels))
        routes.append(RouteState(
            vehicle_id=vehicle.id, start_point=home, end_point=home, start_time=max(start, not_before), latest_end=end,
            capacity=cap, load=(0, 0, 0), speed_factor=float(vehicle.speed_kmh or BASE_SPEED_KMH) / BASE_SPEED_KMH,
            max_work_s=int(driver.max_hours * 3600) if driver.max_hours else None))
    return routes


def _window_s(start: datetime, end: datetime, origin: datetime) -> tuple[int, int]:
    return int((start - origin).total_seconds()), int((end - origin).total_seconds())


def _unplanned_deliveries(session: Session, depot: Depot, day: date, origin: datetime, planned: set[str],
                          model: ServiceTimeModel) -> list[PlannedStop]:
    out = []
    for delivery in depot_deliveries(session, depot.tenant_id, depot, day):
        doc = delivery.document
        geo = ((doc.get("dropoff") or {}).get("address") or {}).get("geo")
        if delivery.id in planned or delivery.status not in PLANNABLE or not geo:
            continue
        window = doc.get("promised_window") or {}
        try:
            span = _window_s(datetime.fromisoformat(window["start"]), datetime.fromisoformat(window["end"]), origin)
        except (KeyError, TypeError, ValueError):
            span = (0, 2 * 86_400)
        facts = facts_of(dict(doc))
        address = doc["dropoff"]["address"]
        out.append(PlannedStop(delivery.id, (float(geo["lat"]), float(geo["lng"])),
                               model.predict(address_key(address), str(address.get("building_type", "")), facts.parcels),
                               span, (facts.weight_g, facts.volume_cm3, facts.parcels)))
    return out


def active_reservations(session: Session, depot_id: str, day: date, now: datetime) -> list[SlotReservation]:
    """Held and not expired, or confirmed: both take room in the day."""
    rows = session.execute(select(SlotReservation).where(
        SlotReservation.depot_id == depot_id, SlotReservation.plan_date == day,
        SlotReservation.state.in_(("held", "confirmed")))).scalars()
    return [r for r in rows if r.state == "confirmed" or r.expires_at > now]


def reservation_stop(row: SlotReservation, origin: datetime, model: ServiceTimeModel) -> PlannedStop:
    return PlannedStop(row.id, (row.lat, row.lng), model.predict("", "", row.parcels),
                       _window_s(row.window_start, row.window_end, origin), (row.weight_g, row.volume_cm3, row.parcels))


def latest_active_plan(session: Session, depot_id: str, day: date) -> RoutePlanRow | None:
    return session.execute(
        select(RoutePlanRow).where(RoutePlanRow.depot_id == depot_id, RoutePlanRow.plan_date == day,
                                   RoutePlanRow.status == "active")
        .order_by(RoutePlanRow.version.desc()).limit(1)).scalar_one_or_none()


def load_day(session: Session, depot: Depot, day: date, now: datetime, *,
             exclude_reservation: str | None = None) -> DayPicture:
    """The depot's day with every stop that takes room in it; `exclude_reservation` leaves one hold out
    (a customer changing the window they hold)."""
    origin = day_origin(day, depot.utc_offset_min or 0)
    not_before = max(0, int((now - origin).total_seconds()))
    plan = latest_active_plan(session, depot.id, day)
    model = service_model(session, depot.tenant_id)
    if plan is not None:
        routes = _routes_from_plan(session, plan, not_before)
        travel = pair_travel(provider_for(plan.problem.get("matrix") or DEFAULT_MATRIX))
        planned = {v["stop_id"] for r in plan.plan["routes"] for v in r["visits"]}
    else:
        routes = _routes_from_fleet(session, depot, not_before)
        travel = pair_travel(provider_for(DEFAULT_MATRIX))
        planned = set()
    extras = _unplanned_deliveries(session, depot, day, origin, planned, model)
    waiting = {s.stop_id for s in extras} | planned
    for row in active_reservations(session, depot.id, day, now):
        if row.id != exclude_reservation and (row.delivery_id is None or row.delivery_id not in waiting):
            extras.append(reservation_stop(row, origin, model))
    extras.sort(key=lambda s: (s.window[0], s.stop_id))
    routes, left_out = add_stops(routes, extras, travel, not_before)
    return DayPicture(depot, day, origin, routes, [schedule(r, travel) for r in routes], travel, not_before,
                      plan.id if plan is not None else None, left_out)


def describe_plan(picture: DayPicture) -> dict[str, Any]:
    return {"plan_id": picture.plan_id, "vehicles": len(picture.routes),
            "stops": sum(len(r.stops) for r in picture.routes)}
