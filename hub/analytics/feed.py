"""Keeps the facts current (after each delivery's event, through the outbox) and rebuilds them from the ledger.

Both paths run the same folds (hub/analytics/facts.py, routes.py) over the same inputs: a delivery's events,
the assignment decision its newest delivery.assigned names, the route plan its route events name, its
vehicle's costs and its driver's pings. Refreshing a delivery twice writes the same row: replaying an event
changes nothing.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any, Iterable

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from hub.analytics.facts import FoldContext, fold_delivery
from hub.analytics.rollup import roll, touch
from hub.analytics.routes import VehicleCost, cost_share, fold_route, route_key, track_length_m
from hub.analytics.settings import AnalyticsSettings, read_settings
from hub.db.models import DeliveryEvent, Tenant, utcnow
from hub.db.models.analytics import DeliveryFact, RouteDayFact
from hub.db.models.execution import DriverPing
from hub.db.models.fleet import Assignment, Vehicle
from hub.db.models.planning import RoutePlanRow

# Rows per INSERT statement of a rebuild: large enough that round trips do not dominate, small enough that
# one statement's parameters stay far below PostgreSQL's 65,535 limit (46 columns x 1,000 rows).
INSERT_BATCH = 1000
# Events read per round trip while a rebuild streams the ledger.
STREAM_BATCH = 20_000
TRANSIENT_KEYS = ("route_plan_id",)  # fold outputs that are not columns


def _price(value: Any) -> float | None:
    try:
        return float(Decimal(str(value))) if value is not None else None
    except (InvalidOperation, ValueError):
        return None


def chosen_cost(decision: dict[str, Any] | None) -> float | None:
    """The price the chosen candidate quoted (price card or live quote), from the recorded decision."""
    decision = decision or {}
    for candidate in decision.get("candidates") or []:
        if candidate.get("candidate_id") == decision.get("chosen"):
            return _price(candidate.get("cost"))
    return None


def tenant_settings(session: Session, tenant_id: str) -> AnalyticsSettings:
    tenant = session.get(Tenant, tenant_id)
    return read_settings(tenant.settings if tenant else None)


def _vehicle_cost(vehicle: Vehicle | None) -> VehicleCost | None:
    if vehicle is None:
        return None
    return VehicleCost(_price(vehicle.cost_per_hour) or 0.0, _price(vehicle.cost_per_km) or 0.0)


def _key_of(fact: dict[str, Any], plans: dict[str, tuple[str, date]]) -> str | None:
    plan = plans.get(fact.get("route_plan_id") or "")
    if plan is None or fact.get("capacity") != "own_fleet" or not fact.get("vehicle_id"):
        return None
    return route_key(plan[0], plan[1], fact["vehicle_id"])


def _ping_distance(session: Session, tenant_id: str, driver_id: str | None, start: datetime | None,
                   end: datetime | None) -> float | None:
    if not driver_id or not start or not end:
        return None
    points = session.execute(select(DriverPing.lat, DriverPing.lng).where(
        DriverPing.tenant_id == tenant_id, DriverPing.driver_id == driver_id,
        DriverPing.recorded_at >= start, DriverPing.recorded_at <= end).order_by(DriverPing.recorded_at)).all()
    return track_length_m([(p.lat, p.lng) for p in points]) if len(points) > 1 else None


def _columns(model: type, values: dict[str, Any]) -> dict[str, Any]:
    names = model.__table__.columns.keys()  # type: ignore[attr-defined]
    return {k: v for k, v in values.items() if k in names}


def _route_parts(key: str) -> tuple[str, date, str]:
    depot, day, vehicle = key.split("|", 2)
    return depot, date.fromisoformat(day), vehicle


def _fold_route(session: Session, tenant_id: str, key: str, stops: list[dict[str, Any]],
                vehicles: dict[str, VehicleCost | None], settings: AnalyticsSettings) -> dict[str, Any]:
    depot, day, vehicle = _route_parts(key)
    live = [s for s in stops if s.get("status") != "cancelled"]
    draft = fold_route(key, tenant_id, depot, day, vehicle, live, None, vehicles.get(vehicle), settings)
    pinged = _ping_distance(session, tenant_id, draft["driver_id"], draft["started_at"], draft["ended_at"])
    if pinged is None:
        return draft
    return fold_route(key, tenant_id, depot, day, vehicle, live, pinged, vehicles.get(vehicle), settings)


# ---- the incremental feed -------------------------------------------------------------------------------

def refresh_delivery(session: Session, tenant_id: str, delivery_id: str) -> DeliveryFact:
    """Recompute one delivery's fact from its events, then the route-days it left and joined."""
    settings = tenant_settings(session, tenant_id)
    events = session.execute(select(DeliveryEvent).where(DeliveryEvent.delivery_id == delivery_id)
                             .order_by(DeliveryEvent.sequence)).scalars().all()

    def carrier_cost(assignment_id: str) -> float | None:
        row = session.get(Assignment, assignment_id)
        return chosen_cost(row.decision) if row is not None else None

    values = fold_delivery(tenant_id, delivery_id, events, FoldContext(settings, carrier_cost))
    plan = session.get(RoutePlanRow, values["route_plan_id"]) if values["route_plan_id"] else None
    values["route_key"] = _key_of(values, {plan.id: (plan.depot_id, plan.plan_date)} if plan else {})
    fact = session.get(DeliveryFact, delivery_id)
    before = fact.route_key if fact is not None else None
    days = {fact.day if fact is not None else None}  # the day it counted on, which it may leave
    if fact is None:
        fact = DeliveryFact(delivery_id=delivery_id)
        session.add(fact)
    for name, value in _columns(DeliveryFact, values).items():
        setattr(fact, name, value)
    fact.refreshed_at = utcnow()
    session.flush()
    days.add(fact.day)
    for key in {before, fact.route_key} - {None}:
        days |= refresh_route(session, tenant_id, key, settings)  # type: ignore[arg-type]
    touch(session, tenant_id, days)
    return fact


def _as_dict(fact: DeliveryFact) -> dict[str, Any]:
    return {name: getattr(fact, name) for name in DeliveryFact.__table__.columns.keys()}


def refresh_route(session: Session, tenant_id: str, key: str, settings: AnalyticsSettings) -> set[date]:
    """Refold the route-day and its stops' cost shares; returns the days of the facts whose cost changed."""
    facts = session.execute(select(DeliveryFact).where(DeliveryFact.route_key == key)).scalars().all()
    row = session.get(RouteDayFact, key)
    if not facts:
        if row is not None:
            session.delete(row)
        return set()
    vehicle_id = _route_parts(key)[2]
    vehicles = {vehicle_id: _vehicle_cost(session.get(Vehicle, vehicle_id))}
    values = _fold_route(session, tenant_id, key, [_as_dict(f) for f in facts], vehicles, settings)
    if row is None:
        row = RouteDayFact(route_key=key)
        session.add(row)
    for name, value in values.items():
        setattr(row, name, value)
    row.refreshed_at = utcnow()
    share = cost_share(values)
    changed: set[date] = set()
    for fact in facts:
        own = fact.status != "cancelled" and share is not None
        cost = (share, "own_fleet") if own else (None, None)
        if (fact.cost, fact.cost_source) != cost:
            fact.cost, fact.cost_source = cost
            changed.add(fact.day)
    session.flush()
    return changed


# ---- the rebuild ----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class RebuildResult:
    tenants: int
    deliveries: int
    routes: int
    events: int


def _events_by_delivery(session: Session, tenant_id: str) -> Iterable[tuple[str, list[Any]]]:
    """The tenant's events grouped per delivery, streamed in the order of delivery id and sequence (Core rows
    through a server-side cursor: a tenant's whole ledger never sits in memory, and the ORM adds nothing)."""
    rows = session.connection().execute(
        select(DeliveryEvent.delivery_id, DeliveryEvent.sequence, DeliveryEvent.type, DeliveryEvent.occurred_at,
               DeliveryEvent.recorded_at, DeliveryEvent.data)
        .where(DeliveryEvent.tenant_id == tenant_id)
        .order_by(DeliveryEvent.delivery_id, DeliveryEvent.sequence)
        .execution_options(yield_per=STREAM_BATCH))  # on the statement: the session's connection keeps its own
    current: str | None = None
    batch: list[Any] = []
    for row in rows:
        if row.delivery_id != current:
            if current is not None:
                yield current, batch
            current, batch = row.delivery_id, []
        batch.append(row)
    if current is not None:
        yield current, batch


def rebuild_tenant(session: Session, tenant_id: str) -> RebuildResult:
    """Replace the tenant's facts with ones folded afresh from its whole ledger."""
    settings = tenant_settings(session, tenant_id)
    costs = {row.id: chosen_cost(row.decision) for row in session.execute(
        select(Assignment.id, Assignment.decision).where(Assignment.tenant_id == tenant_id,
                                                         Assignment.capacity == "carrier"))}
    plans = {row.id: (row.depot_id, row.plan_date) for row in session.execute(
        select(RoutePlanRow.id, RoutePlanRow.depot_id, RoutePlanRow.plan_date)
        .where(RoutePlanRow.tenant_id == tenant_id))}
    vehicles = {v.id: _vehicle_cost(v) for v in session.execute(
        select(Vehicle).where(Vehicle.tenant_id == tenant_id)).scalars()}
    ctx = FoldContext(settings, costs.get)
    facts: list[dict[str, Any]] = []
    by_route: dict[str, list[dict[str, Any]]] = defaultdict(list)
    events = 0
    for delivery_id, rows in _events_by_delivery(session, tenant_id):
        events += len(rows)
        values = fold_delivery(tenant_id, delivery_id, rows, ctx)
        values["route_key"] = _key_of(values, plans)
        facts.append(values)
        if values["route_key"]:
            by_route[values["route_key"]].append(values)
    routes = []
    for key, stops in by_route.items():
        route = _fold_route(session, tenant_id, key, stops, vehicles, settings)
        routes.append(route)
        share = cost_share(route)
        for stop in stops:
            own = stop["status"] != "cancelled" and share is not None
            stop["cost"], stop["cost_source"] = (share, "own_fleet") if own else (None, None)
    now = utcnow()
    session.execute(delete(DeliveryFact).where(DeliveryFact.tenant_id == tenant_id))
    session.execute(delete(RouteDayFact).where(RouteDayFact.tenant_id == tenant_id))
    for model, rows in ((DeliveryFact, facts), (RouteDayFact, routes)):
        _insert_all(session, model, [{**r, "refreshed_at": now} for r in rows])
    roll(session, tenant_id)  # every day summed afresh: the figures read no stale day after a rebuild
    return RebuildResult(1, len(facts), len(routes), events)


def _insert_all(session: Session, model: type, rows: list[dict[str, Any]]) -> None:
    """PostgreSQL: COPY, in the session's own transaction (several times faster than INSERTs for a rebuild of
    hundreds of thousands of rows). Elsewhere: Core INSERTs of many rows each."""
    table = model.__table__  # type: ignore[attr-defined]
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        names = table.columns.keys()
        cursor = connection.connection.cursor()
        with cursor.copy(f"COPY {table.name} ({', '.join(names)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row([row.get(name) for name in names])
        return
    for start in range(0, len(rows), INSERT_BATCH):
        connection.execute(insert(table), [_columns(model, r) for r in rows[start:start + INSERT_BATCH]])


def tenant_ids(session: Session) -> list[str]:
    return list(session.execute(select(Tenant.id).order_by(Tenant.id)).scalars())
