"""A depot's day as the console shows it: the current plan's routes with their stops, planned against what
happened, and the drivers' last positions. Read from the route store (hub.planning) and the pings table."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.console import svgmap
from hub.db.models.execution import DriverPing
from hub.db.models import Delivery
from hub.db.models.fleet import Depot, Driver, Vehicle
from hub.db.models.planning import RoutePlanRow, RouteStopRow
from hub.planning import service

# Settings block in tenants.settings: {"console": {"map_tiles": "https://tiles.example/{z}/{x}/{y}.png"}}.
# None by default: the map is drawn from the hub's own data and needs no outside server.
SETTINGS_KEY = "console"
# A driver's position older than this is drawn as "last seen", not as where the van is now.
STALE_POSITION = timedelta(minutes=15)
# How far back a driver's last position is looked for: a shift that started the evening before still shows.
POSITION_LOOKBACK = timedelta(hours=14)


@dataclass
class MapStop:
    delivery_id: str
    order: str
    sequence: int
    point: tuple[float, float]
    state: str
    planned: datetime | None
    arrived: datetime | None
    departed: datetime | None
    lock: str | None

    @property
    def late_min(self) -> int | None:
        """Minutes the stop was reached after its planned arrival (negative: early); None until reached."""
        if self.planned is None or self.arrived is None:
            return None
        return round((self.arrived - self.planned).total_seconds() / 60)


@dataclass
class MapRoute:
    vehicle_id: str
    driver_id: str | None
    colour: str
    stops: list[MapStop] = field(default_factory=list)


@dataclass
class DepotDay:
    depot: Depot
    day: date
    plan: RoutePlanRow | None
    routes: list[MapRoute]
    drivers: list[dict[str, Any]]
    names: dict[str, str]  # driver and vehicle ids -> names

    @property
    def vehicles(self) -> list[str]:
        """Every vehicle the plan could use, those with a route first."""
        used = [r.vehicle_id for r in self.routes]
        planned = [v["id"] for v in (self.plan.problem.get("vehicles", []) if self.plan is not None else [])]
        return used + [v for v in planned if v not in used]

    def local(self, moment: datetime | None) -> str:
        """A time on the depot's clock (planned and actual times are read against the depot's day)."""
        if moment is None:
            return ""
        return (moment + timedelta(minutes=self.depot.utc_offset_min or 0)).strftime("%H:%M")

    @property
    def depot_point(self) -> tuple[float, float] | None:
        return (self.depot.lat, self.depot.lng) if self.depot.lat is not None and self.depot.lng is not None else None

    def points(self) -> list[tuple[float, float]]:
        found = [s.point for r in self.routes for s in r.stops] + [(d["lat"], d["lng"]) for d in self.drivers]
        return found + ([self.depot_point] if self.depot_point else [])


def tile_template(tenant_settings: dict[str, Any] | None) -> str | None:
    value = ((tenant_settings or {}).get(SETTINGS_KEY) or {}).get("map_tiles")
    return value if isinstance(value, str) and value.startswith("https://") and "{z}" in value else None


def depots(db: Session, tenant_id: str) -> list[Depot]:
    return list(db.execute(select(Depot).where(Depot.tenant_id == tenant_id).order_by(Depot.name)).scalars())


def current_plan(db: Session, tenant_id: str, depot_id: str, day: date) -> RoutePlanRow | None:
    rows = service.list_plans(db, tenant_id, depot_id, day)
    return next((r for r in rows if r.status == "active"), rows[0] if rows else None)


def _aware(moment: datetime | None) -> datetime | None:
    return moment.replace(tzinfo=timezone.utc) if moment is not None and moment.tzinfo is None else moment


def positions_since(day: date, now: datetime) -> datetime:
    """Positions from the day's own hours, or from the last ones when the day lies ahead (a van out since the
    evening before is still on the map); a depot's day starts up to 14 h away from UTC's."""
    return min(datetime.combine(day, time.min, tzinfo=timezone.utc), now) - POSITION_LOOKBACK


def last_positions(db: Session, tenant_id: str, driver_ids: list[str], since: datetime,
                   now: datetime) -> list[dict[str, Any]]:
    if not driver_ids:
        return []
    rows = db.execute(select(DriverPing).where(DriverPing.tenant_id == tenant_id, DriverPing.driver_id.in_(driver_ids),
                                               DriverPing.recorded_at >= since)
                      .order_by(DriverPing.recorded_at.desc())).scalars()
    latest: dict[str, DriverPing] = {}
    for ping in rows:
        latest.setdefault(ping.driver_id, ping)
    return [{"driver_id": p.driver_id, "lat": p.lat, "lng": p.lng, "at": _aware(p.recorded_at),
             "stale": now - (_aware(p.recorded_at) or now) > STALE_POSITION} for p in latest.values()]


def depot_day(db: Session, depot: Depot, day: date, now: datetime) -> DepotDay:
    plan = current_plan(db, depot.tenant_id, depot.id, day)
    drivers = list(db.execute(select(Driver).where(Driver.depot_id == depot.id)).scalars())
    names = {d.id: d.name for d in drivers}
    driver_ids = list(names)
    names.update({v.id: v.name for v in db.execute(select(Vehicle).where(Vehicle.depot_id == depot.id)).scalars()})
    routes: list[MapRoute] = []
    if plan is not None:
        where = {s["id"]: (float(s["location"][0]), float(s["location"][1])) for s in plan.problem.get("stops", [])
                 if s.get("location")}
        rows = {s.delivery_id: s for s in db.execute(select(RouteStopRow).where(RouteStopRow.plan_id == plan.id)).scalars()}
        orders = dict(db.execute(select(Delivery.id, Delivery.external_id).where(
            Delivery.id.in_(list(where)[:2000]))).all()) if where else {}  # a depot's day is well under 2000 stops
        for index, route in enumerate(plan.plan.get("routes", [])):
            out = MapRoute(route["vehicle_id"], plan.problem.get("drivers", {}).get(route["vehicle_id"]),
                           svgmap.PALETTE[index % len(svgmap.PALETTE)])
            for sequence, visit in enumerate(route.get("visits", []), start=1):
                stop_id, row = visit["stop_id"], rows.get(visit["stop_id"])
                if stop_id not in where:
                    continue
                out.stops.append(MapStop(stop_id, orders.get(stop_id, stop_id), sequence, where[stop_id], row.state if row else "pending",
                                         _aware(row.eta) if row else None, _aware(row.arrived_at) if row else None,
                                         _aware(row.departed_at) if row else None,
                                         row.lock_vehicle_id if row and row.lock_vehicle_id else None))
            routes.append(out)
    positions = last_positions(db, depot.tenant_id, driver_ids, positions_since(day, now), now)
    for position in positions:
        position["name"] = names.get(position["driver_id"], position["driver_id"])
    return DepotDay(depot, day, plan, routes, positions, names)


def picture(day_: DepotDay, tiles_from: str | None) -> dict[str, Any] | None:
    """What the SVG template draws: the frame, the tiles (if any), each route's line and stops, the depot and
    the drivers, all in picture coordinates."""
    frame = svgmap.frame(day_.points())
    if frame is None:
        return None
    depot_xy = frame.xy(day_.depot_point) if day_.depot_point else None
    routes = []
    for route in day_.routes:
        line = ([day_.depot_point] if day_.depot_point else []) + [s.point for s in route.stops] + \
               ([day_.depot_point] if day_.depot_point else [])
        routes.append({"route": route, "line": svgmap.path(frame, line),
                       "stops": [(s, frame.xy(s.point)) for s in route.stops]})
    drivers = [(d, frame.xy((d["lat"], d["lng"]))) for d in day_.drivers]
    return {"frame": frame, "tiles": svgmap.tiles(frame, tiles_from) if tiles_from else [], "routes": routes,
            "depot": depot_xy, "drivers": drivers}
