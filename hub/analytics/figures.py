"""The figures, as functions of (session, scope): what the API, the CSV export, the report and the console show.

Every figure is a count over delivery facts (or route-day facts) filtered by the same expressions that
`deliveries_behind` uses, so the ids behind a number are exactly the ones it counted.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, Iterable

from sqlalchemy import ColumnElement, and_, case, func, literal, literal_column, select, true
from sqlalchemy.orm import Session

from hub.db.models.analytics import DeliveryFact as F
from hub.db.models.analytics import RouteDayFact as R

DIMENSIONS: dict[str, Any] = {
    "tenant": None, "depot": F.depot_id, "carrier": F.carrier_id, "driver": F.driver_id,
    "connector": F.connector, "service_level": F.service_level,
}
PERIODS = {"day": F.day, "week": F.week}
# The subsets a figure counts; `deliveries_behind` answers the ids of any of them.
FIGURES: dict[str, ColumnElement[bool]] = {
    "deliveries": true(),
    "delivered": F.delivered_at.is_not(None),
    "on_time_counted": F.on_time.is_not(None),
    "on_time": F.on_time.is_(True),
    "late": F.on_time.is_(False),
    "attempted": F.first_attempt_ok.is_not(None),
    "first_attempt_ok": F.first_attempt_ok.is_(True),
    "first_attempt_failed": F.first_attempt_ok.is_(False),
    "failed": F.failed_attempts > literal_column("0"),  # a literal: the partial index ix_adf_failed matches it
    "costed": F.cost.is_not(None),
    "rated": F.rating.is_not(None),
    "satisfied": F.rating >= 4,
    "exceptions": F.exceptions > 0,
    "dwell": F.dwell_s.is_not(None),
}
# A rating of 4 or 5 (of 5) counts as satisfied: the usual CSAT definition.
SATISFIED_FROM = 4


@dataclass(frozen=True)
class Scope:
    tenant_id: str
    start: date  # first day counted
    end: date  # last day counted (inclusive)
    depot_id: str | None = None


def _where(scope: Scope, model: Any = F) -> list[ColumnElement[bool]]:
    out = [model.tenant_id == scope.tenant_id, model.day >= scope.start, model.day <= scope.end]
    if scope.depot_id:
        out.append(model.depot_id == scope.depot_id)
    return out


def _count(cond: ColumnElement[bool]) -> Any:
    return func.sum(case((cond, 1), else_=0))


def _rate(part: int | None, whole: int | None) -> float | None:
    return round(part / whole, 4) if whole and part is not None else None


def _num(value: Any) -> float | None:
    return round(float(value), 4) if value is not None else None


def _measures() -> list[Any]:
    return [
        func.count().label("deliveries"), _count(FIGURES["delivered"]).label("delivered"),
        _count(FIGURES["on_time_counted"]).label("on_time_counted"), _count(FIGURES["on_time"]).label("on_time"),
        _count(FIGURES["attempted"]).label("attempted"), _count(FIGURES["first_attempt_ok"]).label("first_attempt_ok"),
        _count(FIGURES["failed"]).label("failed"), _count(FIGURES["costed"]).label("costed"),
        func.sum(F.cost).label("cost_total"), _count(FIGURES["rated"]).label("rated"),
        _count(FIGURES["satisfied"]).label("satisfied"), func.avg(F.rating).label("rating_avg"),
        func.sum(F.exceptions).label("exceptions"),
    ]


def _rates(row: Any) -> dict[str, Any]:
    return {
        "deliveries": row.deliveries, "delivered": row.delivered or 0,
        "on_time_rate": _rate(row.on_time, row.on_time_counted), "on_time": row.on_time or 0,
        "on_time_counted": row.on_time_counted or 0,
        "first_attempt_rate": _rate(row.first_attempt_ok, row.attempted), "attempted": row.attempted or 0,
        "first_attempt_ok": row.first_attempt_ok or 0, "failed": row.failed or 0,
        "cost_per_delivery": _num(row.cost_total / row.costed) if row.costed else None,
        "cost_total": _num(row.cost_total), "costed": row.costed or 0,
        "csat": _rate(row.satisfied, row.rated), "rating_avg": _num(row.rating_avg), "rated": row.rated or 0,
        "exceptions": int(row.exceptions or 0),
    }


def period_end(start: date, period: str) -> date:
    return start + timedelta(days=6 if period == "week" else 0)


def figures(session: Session, scope: Scope, *, by: str = "tenant", period: str = "day") -> list[dict[str, Any]]:
    """On-time rate, first-attempt rate, cost per delivery, CSAT and exceptions per period and group."""
    group = DIMENSIONS[by]
    bucket = PERIODS[period]
    key = group if group is not None else literal(scope.tenant_id)
    query = (select(bucket.label("period_start"), key.label("key"), *_measures()).where(*_where(scope))
             .group_by(bucket, *( [group] if group is not None else [])).order_by(bucket, key))
    out = []
    for row in session.execute(query):
        start = row.period_start
        out.append({"period": period, "period_start": start.isoformat(),
                    "period_end": min(period_end(start, period), scope.end).isoformat(),
                    "by": by, "key": row.key, **_rates(row)})
    return out


def scorecards(session: Session, scope: Scope, *, who: str) -> list[dict[str, Any]]:
    """Per driver (own fleet) or per carrier: on-time, first attempt, CSAT, exceptions; drivers also stops per
    hour (attempted stops over hours on the road, from their route-days)."""
    column = F.driver_id if who == "driver" else F.carrier_id
    rows = session.execute(select(column.label("key"), *_measures()).where(*_where(scope), column.is_not(None))
                           .group_by(column).order_by(column)).all()
    hours: dict[str, tuple[int, int]] = {}
    if who == "driver":
        for r in session.execute(select(R.driver_id, func.sum(R.stops_done), func.sum(R.actual_duration_s))
                                 .where(*_where(scope, R), R.driver_id.is_not(None)).group_by(R.driver_id)):
            hours[r[0]] = (int(r[1] or 0), int(r[2] or 0))
    out = []
    for row in rows:
        done, seconds = hours.get(row.key, (0, 0))
        out.append({"who": who, "key": row.key, **_rates(row),
                    "stops_per_hour": round(done / (seconds / 3600), 2) if seconds else None})
    return out


def dwell(session: Session, scope: Scope) -> list[dict[str, Any]]:
    """Arrival to completion at stops, by stop type and postal area."""
    query = (select(F.stop_type, F.postal_area, func.count().label("stops"), func.avg(F.dwell_s).label("avg"),
                    func.min(F.dwell_s).label("min"), func.max(F.dwell_s).label("max"))
             .where(*_where(scope), F.dwell_s.is_not(None)).group_by(F.stop_type, F.postal_area)
             .order_by(F.stop_type, F.postal_area))
    return [{"stop_type": r.stop_type, "postal_area": r.postal_area, "stops": r.stops,
             "dwell_avg_s": _num(r.avg), "dwell_min_s": _num(r.min), "dwell_max_s": _num(r.max)}
            for r in session.execute(query)]


def route_days(session: Session, scope: Scope) -> list[Any]:
    """Plain rows, not ORM objects: a quarter of route-days is thousands of rows, and identity-mapping them
    cost more than the query."""
    return list(session.connection().execute(select(*R.__table__.columns).where(*_where(scope, R))
                                             .order_by(R.day, R.depot_id, R.vehicle_id)))


def profitability(session: Session, scope: Scope) -> list[dict[str, Any]]:
    """Per route-day: delivery fees of its delivered stops minus its cost."""
    return [{"route_key": r.route_key, "day": r.day.isoformat(), "depot_id": r.depot_id, "vehicle_id": r.vehicle_id,
             "driver_id": r.driver_id, "stops": r.stops, "fees": _num(r.fees), "cost": _num(r.cost),
             "profit": _num(r.fees - r.cost) if r.cost is not None else None} for r in route_days(session, scope)]


def planned_vs_actual(session: Session, scope: Scope) -> list[dict[str, Any]]:
    """Per route-day: planned against driven distance and duration, stop order kept, ETA error."""
    return [{"route_key": r.route_key, "day": r.day.isoformat(), "depot_id": r.depot_id, "vehicle_id": r.vehicle_id,
             "driver_id": r.driver_id, "stops": r.stops, "stops_done": r.stops_done,
             "planned_distance_m": r.planned_distance_m, "actual_distance_m": r.actual_distance_m,
             "planned_duration_s": r.planned_duration_s, "actual_duration_s": r.actual_duration_s,
             "stops_in_planned_order": r.stops_in_planned_order,
             "planned_order_rate": _rate(r.stops_in_planned_order, r.stops_done),
             "eta_abs_delta_s": _num(r.eta_abs_delta_s)} for r in route_days(session, scope)]


@dataclass(frozen=True)
class Drill:
    """Which deliveries a figure counted: the same filters as the figure, plus the row's group."""

    figure: str = "deliveries"
    by: str | None = None
    key: str | None = None
    route_key: str | None = None
    stop_type: str | None = None
    postal_area: str | None = None
    reason: str | None = None


def drill_conditions(drill: Drill) -> list[ColumnElement[bool]]:
    out = [FIGURES[drill.figure]]
    column = DIMENSIONS.get(drill.by or "tenant")
    if column is not None and drill.key is not None:  # "" is the group without a value (no depot, no carrier)
        out.append(column.is_(None) if drill.key == "" else column == drill.key)
    for column, value in ((F.route_key, drill.route_key), (F.stop_type, drill.stop_type),
                          (F.postal_area, drill.postal_area), (F.failure_reason, drill.reason)):
        if value == "":  # the group of rows without a value (a stop with no postal code)
            out.append(column.is_(None))
        elif value is not None:
            out.append(column == value)
    return out


def deliveries_behind(session: Session, scope: Scope, drill: Drill, *, after: str | None = None,
                      limit: int = 1000) -> list[str]:
    query = select(F.delivery_id).where(and_(*_where(scope), *drill_conditions(drill)))
    if after:
        query = query.where(F.delivery_id > after)
    return list(session.execute(query.order_by(F.delivery_id).limit(limit)).scalars())


def failed_points(session: Session, scope: Scope, reason: str | None = None) -> Iterable[Any]:
    """Failed deliveries with a position, for the heatmap (hub/analytics/heatmap.py)."""
    query = select(F.delivery_id, F.lat, F.lng, F.failure_reason).where(
        *_where(scope), FIGURES["failed"], F.lat.is_not(None), F.lng.is_not(None))
    if reason:
        query = query.where(F.failure_reason == reason)
    return session.execute(query.order_by(F.delivery_id))
