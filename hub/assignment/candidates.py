"""From the tenant's capacity rows to the engine's candidates, with what is left of the service day's capacity.

The service day is the day of the delivery's promised window (today when it has none, or it has passed).
For today, a depot's fleet is the crews on shift now; for a later day (a next-day order, a delivery
rescheduled after a failed attempt), every available crew, and today's cut-off and shift ends do not apply:
the window rule judges the time instead."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import replace
from datetime import date, datetime, timedelta
from decimal import Decimal
from statistics import fmean
from typing import Any, Callable, Iterable, TypeVar

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session

from hub.assignment.model import Candidate, Capacity, Coverage, Policy, PriceCard, Quality
from hub.assignment.policy import DEFAULT_DOCUMENT, policy_from_document
from hub.db.engine import transaction_memo
from hub.db.models.fleet import Assignment, AssignmentPolicyRow, Carrier, Depot, Driver, Vehicle

# Assignments in these states hold capacity for their day; rejected/timed-out/superseded ones gave it back.
HOLDING = ("proposed", "accepted", "own_fleet", "manual")

T = TypeVar("T")
SETUP = "fleet set-up"  # transaction memo: (what, tenant id) -> depots, drivers, vehicles, carriers or policy


def _setup(session: Session, what: str, tenant_id: str, read: Callable[[], T]) -> T:
    """The tenant's set-up, read once per transaction: the relay runs a burst's assignments several to a
    transaction (hub/outbox/relay.py), and the fleet was five of an assignment's twenty statements. What is used
    of it today (`used_today`) changes with every assignment and is read each time."""
    memo = transaction_memo(session, SETUP)
    if (what, tenant_id) not in memo:
        memo[what, tenant_id] = read()
    return memo[what, tenant_id]  # type: ignore[no-any-return]


def tenant_carriers(session: Session, tenant_id: str) -> list[Carrier]:
    return _setup(session, "carriers", tenant_id, lambda: list(session.execute(
        select(Carrier).where(Carrier.tenant_id == tenant_id)).scalars()))


def minutes(hhmm: str | None) -> int | None:
    if not hhmm:
        return None
    hours, _, mins = hhmm.partition(":")
    return int(hours) * 60 + int(mins or 0)


def local_minute(now: datetime, utc_offset_min: int) -> int:
    local = now + timedelta(minutes=utc_offset_min)
    return local.hour * 60 + local.minute


def _coverage(doc: dict[str, Any]) -> Coverage:
    return Coverage(postal_prefixes=tuple(doc.get("postal_prefixes", ())), polygons=tuple(doc.get("polygons", ())))


def _sum(values: Iterable[int | None]) -> int | None:
    values = list(values)
    return None if not values or any(v is None for v in values) else sum(v for v in values if v is not None)


def _left(total: int | None, used: int) -> int | None:
    return None if total is None else total - used


def service_day(document: dict[str, Any], now: datetime) -> date:
    """The day of the promised window's start, in the window's own offset; today if that is not later."""
    start = (document.get("promised_window") or {}).get("start")
    try:
        day = datetime.fromisoformat(str(start).replace("Z", "+00:00")).date() if start else None
    except ValueError:
        day = None
    return day if day is not None and day > now.date() else now.date()


# What the day's assignments that hold capacity take, per candidate. Built once: it runs for every assignment.
_USED = (select(Assignment.candidate_id, func.count(), func.sum(Assignment.parcels), func.sum(Assignment.weight_g),
                func.sum(Assignment.volume_cm3))
         .where(Assignment.tenant_id == bindparam("tenant_id"), Assignment.day == bindparam("day"),
                Assignment.state.in_(HOLDING))
         .group_by(Assignment.candidate_id))


def used_today(session: Session, tenant_id: str, day: date) -> dict[str, dict[str, int]]:
    rows = session.execute(_USED, {"tenant_id": tenant_id, "day": day}).all()
    return {cid: {"deliveries": n, "parcels": int(p or 0), "weight_g": int(w or 0), "volume_cm3": int(v or 0)}
            for cid, n, p, w, v in rows if cid}


def has_capacity(session: Session, tenant_id: str) -> bool:
    """Whether the tenant set up any depot or carrier (without either, assignment is not in use)."""
    for model in (Depot, Carrier):
        if session.execute(select(model.id).where(model.tenant_id == tenant_id).limit(1)).first():
            return True
    return False


def depot_candidates(session: Session, tenant_id: str, now: datetime, used: dict[str, dict[str, int]],
                     day: date | None = None) -> list[Candidate]:
    depots = _setup(session, "depots", tenant_id, lambda: list(session.execute(
        select(Depot).where(Depot.tenant_id == tenant_id, Depot.active.is_(True))).scalars()))
    drivers_by_depot: dict[str, list[Driver]] = defaultdict(list)
    for driver in _setup(session, "drivers", tenant_id, lambda: list(session.execute(
            select(Driver).where(Driver.tenant_id == tenant_id)).scalars())):
        drivers_by_depot[driver.depot_id].append(driver)
    vehicles = {v.id: v for v in _setup(session, "vehicles", tenant_id, lambda: list(session.execute(
        select(Vehicle).where(Vehicle.tenant_id == tenant_id)).scalars()))}
    out = []
    for depot in depots:
        minute = local_minute(now, depot.utc_offset_min)
        later = day is not None and day > (now + timedelta(minutes=depot.utc_offset_min)).date()
        crews = []  # (driver, vehicle) pairs on shift now, or on the roster for a later day
        for driver in drivers_by_depot.get(depot.id, []):
            vehicle = vehicles.get(driver.vehicle_id or "")
            start, end = minutes(driver.shift_start) or 0, minutes(driver.shift_end) or 24 * 60
            end = min(end, start + int(driver.max_hours * 60))
            if driver.available and vehicle is not None and vehicle.active and (later or start <= minute < end):
                crews.append((driver, vehicle, end))
        u = used.get(depot.id, {})
        zones = None if not crews or any(not d.zones for d, _, _ in crews) else tuple(z for d, _, _ in crews for z in d.zones)
        out.append(Candidate(
            id=depot.id, kind="own_fleet", name=depot.name, depot_id=depot.id,
            origin=(depot.lat, depot.lng) if depot.lat is not None and depot.lng is not None else None,
            features=frozenset(f for _, v, _ in crews for f in v.features),
            coverage=_coverage(depot.coverage), service_levels=frozenset(depot.service_levels),
            cutoff_minute=None if later else minutes(depot.cutoff_time), utc_offset_min=depot.utc_offset_min,
            available_until_minute=None if later else max((end for _, _, end in crews), default=None),
            available=bool(crews), unavailable_reason=None if crews else (
                "no available driver with a vehicle" if later else "no driver with a vehicle is on shift now"),
            available_zones=zones,
            capacity=Capacity(
                parcels=_left(_sum(v.capacity_parcels for _, v, _ in crews), u.get("parcels", 0)),
                weight_g=_left(_sum(v.capacity_weight_g for _, v, _ in crews), u.get("weight_g", 0)),
                volume_cm3=_left(_sum(v.capacity_volume_cm3 for _, v, _ in crews), u.get("volume_cm3", 0)),
            ),
            price=PriceCard(
                per_km=Decimal(str(round(fmean(float(v.cost_per_km) for _, v, _ in crews), 4))) if crews else Decimal(0),
                per_hour=Decimal(str(round(fmean(float(v.cost_per_hour) for _, v, _ in crews), 4))) if crews else Decimal(0),
            ),
            speed_kmh=fmean(v.speed_kmh for _, v, _ in crews) if crews else 30.0,
            rating=fmean(d.rating for d, _, _ in crews) if crews else 0.0,
        ))
    return out


def _price_card(doc: dict[str, Any]) -> PriceCard:
    return PriceCard(
        currency=doc.get("currency", "EUR"), base=Decimal(str(doc.get("base", "0"))),
        per_km=Decimal(str(doc.get("per_km", "0"))), per_kg=Decimal(str(doc.get("per_kg", "0"))),
        surcharges=tuple(sorted((k, Decimal(str(v))) for k, v in doc.get("surcharges", {}).items())),
    )


def carrier_candidate(carrier: Carrier, used: dict[str, int], refused: str | None = None,
                      later: bool = False) -> Candidate:
    q = carrier.quality or {}
    origin = carrier.origin or {}
    reason = refused or (None if carrier.active else "carrier is inactive")
    return Candidate(
        id=carrier.id, kind="crowd" if carrier.kind == "crowd" else "3pl", name=carrier.name, carrier_id=carrier.id,
        origin=(origin["lat"], origin["lng"]) if "lat" in origin and "lng" in origin else None,
        features=frozenset(carrier.features), coverage=_coverage(carrier.coverage),
        service_levels=frozenset(carrier.service_levels),
        cutoff_minute=None if later else minutes(carrier.cutoff_time),  # a later day's orders are in time
        utc_offset_min=carrier.utc_offset_min, available=reason is None, unavailable_reason=reason,
        capacity=Capacity(deliveries=_left(carrier.daily_capacity, used.get("deliveries", 0))),
        max_order_value=Decimal(carrier.max_order_value) if carrier.max_order_value else None,
        price=_price_card(carrier.price_card), speed_kmh=carrier.speed_kmh, rating=carrier.rating,
        quality=Quality(failed_attempt_rate=float(q.get("failed_attempt_rate", 0)),
                        avg_delay_min=float(q.get("avg_delay_min", 0)),
                        pod_compliance=float(q.get("pod_compliance", 1)),
                        acceptance_rate=float(q.get("acceptance_rate", 1))),
    )


def candidates_for(session: Session, tenant_id: str, now: datetime, refused: dict[str, str] | None = None,
                   day: date | None = None) -> list[Candidate]:
    """Every depot and carrier of the tenant, with what is left of `day` (today by default); `refused` maps
    a carrier id to why it may not take this one."""
    day = day or now.date()
    used = used_today(session, tenant_id, day)
    carriers = tenant_carriers(session, tenant_id)
    refused = refused or {}
    depots = [replace(d, available=False, unavailable_reason=refused[d.id]) if d.id in refused else d
              for d in depot_candidates(session, tenant_id, now, used, day)]
    later = day > now.date()
    return [*depots, *(carrier_candidate(c, used.get(c.id, {}), refused.get(c.id), later) for c in carriers)]


def current_policy(session: Session, tenant_id: str) -> tuple[Policy, dict[str, Any]]:
    row = _setup(session, "policy", tenant_id, lambda: session.execute(
        select(AssignmentPolicyRow).where(AssignmentPolicyRow.tenant_id == tenant_id)
        .order_by(AssignmentPolicyRow.version.desc()).limit(1)
    ).scalar_one_or_none())
    if row is None:
        return policy_from_document(DEFAULT_DOCUMENT, 0), {**DEFAULT_DOCUMENT, "version": 0}
    return policy_from_document(row.document, row.version), {**row.document, "version": row.version}
