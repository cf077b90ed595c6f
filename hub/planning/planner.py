"""Plan or re-plan one depot's day and store it as the next version.

`compute` reads the database and solves (nothing written); `persist` writes the plan, its stops, the
deliveries' status changes and route events in one transaction, unless a newer version got there first
(optimistic: a plan never overwrites a newer one). The first plan of a day uses `hub.routing.solve`; every
later one uses `hub.routing.replan` from the stored previous version, so completed stops stay frozen,
started vehicles keep their position, time and load, sent ETAs keep their window and locks hold.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from hub.canonical.fields import parse_aware_timestamp
from hub.canonical.ids import sortable_id
from hub.db.models import Delivery, Tenant
from hub.db.models.fleet import Assignment, Depot, Driver, Vehicle
from hub.db.models.planning import RoutePlanRow, RouteStopRow
from hub.ledger.deliveries import change_status
from hub.ledger.events import append_event
from hub.planning.builder import Built, build_problem, delivery_day, pair_fleet
from hub.planning.codec import plan_from_dict
from hub.routing.model import REASONS, Problem, Route, RoutePlan, TimeWindow, Unassigned, Visit
from hub.routing.replan import DayState, VehicleState, replan
from hub.routing.service_time import ServiceTimeModel
from hub.routing.solve import solve

ACTOR = {"kind": "system", "id": "route_planner"}
PLANNABLE = frozenset({"assigned", "planned"})  # waiting at the depot: the planner may (re)place them
ON_ROAD = frozenset({"dispatched", "picked_up", "in_transit", "arriving"})  # on a van: they stay on it
DONE = frozenset({"delivered", "failed_attempt", "returned"})  # the stop has happened
STOP_STATE = {"arriving": "arrived", "delivered": "completed", "failed_attempt": "failed", "returned": "failed"}
# A new ETA within 5 minutes of the old one is noise, not news: no route.updated event (and so no webhook).
ETA_CHANGE_S = 300
DEFAULT_TIME_LIMIT_S = 10.0  # the default: good plans for a few hundred stops, fast enough to redo often


@dataclass
class Computation:
    tenant_id: str
    depot_id: str
    plan_date: date
    based_on: RoutePlanRow | None
    built: Built
    plan: RoutePlan
    time_limit_s: float
    statuses: dict[str, str]  # delivery id -> status when loaded
    locks: dict[str, tuple[str, int | None]] = field(default_factory=dict)
    cancelled: frozenset[str] = frozenset()
    carried: dict[str, RouteStopRow] = field(default_factory=dict)  # delivery id -> its row in the previous plan


def latest_plan(session: Session, tenant_id: str, depot_id: str, plan_date: date) -> RoutePlanRow | None:
    return session.execute(
        select(RoutePlanRow).where(RoutePlanRow.tenant_id == tenant_id, RoutePlanRow.depot_id == depot_id,
                                   RoutePlanRow.plan_date == plan_date)
        .order_by(RoutePlanRow.version.desc()).limit(1)).scalar_one_or_none()


def time_limit_for(session: Session, tenant_id: str, given: float | None) -> float:
    """The caller's limit, else the tenant's setting routing.time_limit_s, else 10 s."""
    if given:
        return float(given)
    tenant = session.get(Tenant, tenant_id)
    setting = ((tenant.settings or {}).get("routing") or {}).get("time_limit_s") if tenant else None
    return float(setting or DEFAULT_TIME_LIMIT_S)


def depot_deliveries(session: Session, tenant_id: str, depot: Depot, plan_date: date) -> list[Delivery]:
    """Deliveries whose current assignment is this depot's own fleet and which are due on `plan_date`."""
    last = (select(Assignment.delivery_id, func.max(Assignment.attempt).label("attempt"))
            .where(Assignment.tenant_id == tenant_id).group_by(Assignment.delivery_id).subquery())
    rows = session.execute(
        select(Delivery, Assignment.day).join(Assignment, Assignment.delivery_id == Delivery.id)
        .join(last, and_(last.c.delivery_id == Assignment.delivery_id, last.c.attempt == Assignment.attempt))
        .where(Delivery.tenant_id == tenant_id, Assignment.state == "own_fleet", Assignment.depot_id == depot.id)
    ).all()
    return [d for d, day in rows if (delivery_day(d.document, depot.utc_offset_min or 0) or day) == plan_date]


def _service_model(session: Session, tenant_id: str) -> ServiceTimeModel | None:
    tenant = session.get(Tenant, tenant_id)
    stored = ((tenant.settings or {}).get("routing") or {}).get("service_time_model") if tenant else None
    return ServiceTimeModel.from_dict(stored) if stored else None


def _seconds(origin: str, moment: datetime | None) -> int | None:
    if moment is None:
        return None
    return int((moment - datetime.fromisoformat(origin)).total_seconds())  # type: ignore[operator]


def _no_fleet(problem: Problem) -> RoutePlan:
    gone = tuple(Unassigned(s.id, "no_capacity_left", "the depot has no active vehicle with an available driver")
                 for s in problem.stops)
    return RoutePlan((), gone, 0.0, "none", 0.0, ("no vehicles",))


def _from_now(problem: Problem, now: datetime | None) -> Problem:
    """Planning a day already begun: no vehicle leaves before now (its shift start moves up to now)."""
    if now is None or not problem.origin:
        return problem
    at = int((now - datetime.fromisoformat(problem.origin)).total_seconds())
    if at <= 0:
        return problem
    vehicles = tuple(dataclasses.replace(v, shift=TimeWindow(min(max(v.shift.start, at), v.shift.end), v.shift.end))
                     for v in problem.vehicles)
    return dataclasses.replace(problem, vehicles=vehicles)


def compute(session: Session, tenant_id: str, depot_id: str, plan_date: date, *,
            time_limit_s: float | None = None, now: datetime | None = None) -> Computation | None:
    """Build and solve; None when there is nothing to plan and no earlier plan to update. `now` (aware) keeps
    vehicles from being planned to leave in the past when the day has begun."""
    depot = session.get(Depot, depot_id)
    if depot is None or depot.tenant_id != tenant_id:
        raise LookupError(f"no depot {depot_id!r} for this tenant")
    limit = time_limit_for(session, tenant_id, time_limit_s)
    # Plans the hub makes by itself stop once the search converges (a worker is free sooner); a limit someone
    # asked for (API, CLI) is spent whole.
    until_converged = not time_limit_s
    previous = latest_plan(session, tenant_id, depot_id, plan_date)
    rows: dict[str, RouteStopRow] = {}
    if previous is not None:
        rows = {r.delivery_id: r for r in session.execute(
            select(RouteStopRow).where(RouteStopRow.plan_id == previous.id)).scalars()}
    deliveries = {d.id: d for d in depot_deliveries(session, tenant_id, depot, plan_date)}
    statuses = {i: d.status for i, d in deliveries.items()}
    keep = [d.document for i, d in deliveries.items()
            if d.status in PLANNABLE | ON_ROAD or (i in rows and d.status in DONE)]
    if previous is None and not keep:
        return None
    fleet = pair_fleet(session.execute(select(Vehicle).where(Vehicle.depot_id == depot_id)).scalars(),
                       session.execute(select(Driver).where(Driver.depot_id == depot_id)).scalars())
    built = build_problem(depot, fleet, keep, plan_date, service_times=_service_model(session, tenant_id))
    problem = _from_now(built.problem, now)
    if not problem.vehicles:
        return Computation(tenant_id, depot_id, plan_date, previous, built, _no_fleet(problem), limit, statuses)
    if previous is None:
        plan = solve(problem, time_limit_s=limit, until_converged=until_converged)
        return Computation(tenant_id, depot_id, plan_date, None, built, plan, limit, statuses)

    prev_plan = plan_from_dict(previous.plan)
    known = {v.id for v in problem.vehicles}
    prev_plan = dataclasses.replace(prev_plan, routes=tuple(r for r in prev_plan.routes if r.vehicle_id in known))
    live = {s.id for s in problem.stops}
    routed = {v.stop_id for r in prev_plan.routes for v in r.visits}
    completed = {i for i in routed & live if statuses.get(i) in DONE or rows[i].state in ("completed", "failed")}
    cancelled = frozenset(routed - live)
    locks = {i: (r.lock_vehicle_id, r.lock_position) for i, r in rows.items()
             if r.lock_vehicle_id and i in live - completed}
    origin = problem.origin or ""
    eta_sent: dict[str, TimeWindow] = {}
    for i, r in rows.items():
        if r.eta_sent_window and i in live - completed:
            s = _seconds(origin, parse_aware_timestamp(r.eta_sent_window.get("start")))
            e = _seconds(origin, parse_aware_timestamp(r.eta_sent_window.get("end")))
            if s is not None and e is not None and s <= e:
                eta_sent[i] = TimeWindow(s, e)
    vehicles: dict[str, VehicleState] = {}
    for route in prev_plan.routes:
        done = [v for v in route.visits if v.stop_id in completed]
        rest = [v.stop_id for v in route.visits if v.stop_id in live and v.stop_id not in completed]
        moving = any(statuses.get(i) in ON_ROAD for i in rest)
        if not done and not moving:
            continue
        if done:
            last = done[-1]
            where = problem.stop(last.stop_id).location_index
            left = _seconds(origin, rows[last.stop_id].departed_at)  # when it really left, if a driver said
            at = max(0, left) if left is not None else last.departure  # before the day began: free at its start
        else:
            where, at = 0, route.start_time
        load = [0] * problem.n_dims
        for i in rest:
            for k, q in enumerate(problem.demand_of(problem.stop(i))):
                load[k] += q
        vehicles[route.vehicle_id] = VehicleState(where, at, tuple(load))
    # Done but on no known route (its vehicle left the fleet): history of an older version, not work to plan.
    orphans = {i for i in live if statuses.get(i) in DONE and i not in completed}
    state = DayState(vehicles=vehicles, completed=tuple(sorted(completed)), eta_sent=eta_sent,
                     cancelled=cancelled | orphans, locks=locks)
    plan = replan(problem, prev_plan, state, time_limit_s=limit, until_converged=until_converged)
    return Computation(tenant_id, depot_id, plan_date, previous, built, plan, limit, statuses, locks, cancelled, rows)


def _at(origin: datetime, seconds: int) -> datetime:
    return origin + timedelta(seconds=seconds)


def persist(session: Session, comp: Computation, *, trigger: str) -> RoutePlanRow | None:
    """Store `comp` as the next version; None (and nothing written) if a newer plan was stored meanwhile."""
    current = latest_plan(session, comp.tenant_id, comp.depot_id, comp.plan_date)
    base_version = comp.based_on.version if comp.based_on is not None else 0
    if (current.version if current is not None else 0) != base_version:
        return None
    problem, plan = comp.built.problem, comp.plan
    origin = datetime.fromisoformat(problem.origin or "")
    plan_doc = plan.to_dict()
    plan_doc["skipped"] = [{"stop_id": i, "reason": "not_routable", "message": m}
                           for i, m in sorted(comp.built.skipped.items())]
    totals = plan_doc["totals"]
    row = RoutePlanRow(
        id=sortable_id("rpl_"), tenant_id=comp.tenant_id, depot_id=comp.depot_id, plan_date=comp.plan_date,
        version=base_version + 1, status="active", trigger=trigger[:60], backend=plan.backend,
        objective=float(plan.objective), time_limit_s=comp.time_limit_s, vehicles_used=totals["vehicles_used"],
        stops_planned=sum(len(r.visits) for r in plan.routes), unassigned=len(plan.unassigned) + len(comp.built.skipped),
        distance_m=totals["distance_m"], duration_s=totals["duration_s"], cost=float(totals["cost"]),
        plan=plan_doc, problem=comp.built.stored,
    )
    session.add(row)
    if current is not None:
        current.status = "superseded"
        for old in comp.carried.values():
            if old.delivery_id in comp.cancelled:
                old.state = "cancelled"
    session.flush()
    for route in plan.routes:
        for sequence, visit in enumerate(route.visits, start=1):
            _store_stop(session, comp, row, route, sequence, visit, origin, trigger)
    reasons = [(u.stop_id, u.reason, REASONS.get(u.reason, u.reason) + (f": {u.message}" if u.message else ""))
               for u in plan.unassigned]
    reasons += [(i, "not_routable", m) for i, m in comp.built.skipped.items()]
    for delivery_id, code, text in reasons:
        delivery = session.get(Delivery, delivery_id)
        if delivery is not None and delivery.status in PLANNABLE:
            change_status(session, delivery, "needs_attention", actor=ACTOR,
                          reason=f"route plan {row.id} (v{row.version}) cannot serve it: {text}",
                          reason_code=f"route_{code}")
    session.flush()
    return row


def _route_event(row: RoutePlanRow, route: Route, driver_id: str | None, origin: datetime, delivery: Delivery,
                 sequence: int, eta: datetime) -> dict[str, Any]:
    """The event data of schemas/events/route_planned.v1.json, with this delivery's own stop only (the whole
    route is one API call away; N events each carrying N stops would grow as the square of the route)."""
    stop: dict[str, Any] = {"delivery_id": delivery.id, "position": sequence, "eta": eta.isoformat()}
    window = {k: v for k, v in (delivery.document.get("promised_window") or {}).items() if k in ("start", "end")}
    if window:
        stop["window"] = window
    data: dict[str, Any] = {
        "route_id": f"{row.id}:{route.vehicle_id}", "vehicle_id": route.vehicle_id,
        "starts_at": _at(origin, route.start_time).isoformat(), "ends_at": _at(origin, route.end_time).isoformat(),
        "distance_m": route.distance_m, "duration_s": route.duration_s, "stops": [stop],
    }
    if driver_id:
        data["driver_id"] = driver_id
    return data


def _store_stop(session: Session, comp: Computation, row: RoutePlanRow, route: Route, sequence: int,
                visit: Visit, origin: datetime, trigger: str) -> None:
    old = comp.carried.get(visit.stop_id)
    delivery = session.get(Delivery, visit.stop_id)
    status = delivery.status if delivery is not None else comp.statuses.get(visit.stop_id, "")
    lock = comp.locks.get(visit.stop_id)
    stop = RouteStopRow(
        plan_id=row.id, tenant_id=row.tenant_id, delivery_id=visit.stop_id, vehicle_id=route.vehicle_id,
        driver_id=comp.built.drivers.get(route.vehicle_id), sequence=sequence, eta=_at(origin, visit.arrival),
        service_start=_at(origin, visit.service_start), departure=_at(origin, visit.departure),
        arrived_at=old.arrived_at if old else None, departed_at=old.departed_at if old else None,
        lock_vehicle_id=lock[0] if lock else None, lock_position=lock[1] if lock else None,
        state=STOP_STATE.get(status, old.state if old and old.state != "cancelled" else "pending"),
        eta_sent_window=old.eta_sent_window if old else None,
    )
    session.add(stop)
    if delivery is None:
        return
    if delivery.status == "assigned":
        change_status(session, delivery, "planned", actor=ACTOR,
                      reason=f"stop {sequence} of vehicle {route.vehicle_id} in route plan {row.id} (v{row.version})")
    if status in DONE | {"cancelled"}:
        return
    data = _route_event(row, route, stop.driver_id, origin, delivery, sequence, stop.eta)
    if comp.based_on is None:
        append_event(session, delivery, "route.planned", data, actor=ACTOR)
        return
    changed = [] if old is not None else ["added"]
    if old is not None and old.vehicle_id != route.vehicle_id:
        changed.append("vehicle_id")
    if old is not None and old.sequence != sequence:
        changed.append("position")
    if old is not None and abs((stop.eta - old.eta).total_seconds()) >= ETA_CHANGE_S:
        changed.append("eta")
    if changed:
        reason = f"re-planned as version {row.version}" + (f" ({trigger})" if trigger else "")
        append_event(session, delivery, "route.updated", {**data, "changed": changed, "reason": reason}, actor=ACTOR)
