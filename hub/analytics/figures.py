"""The figures, as functions of (session, scope): what the API, the CSV export, the report and the console show.

Every figure is a count over delivery facts (or route-day facts) filtered by the same expressions that
`deliveries_behind` uses, so the ids behind a number are exactly the ones it counted.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from types import SimpleNamespace
from typing import Any, Iterable

from sqlalchemy import ColumnElement, and_, func, select
from sqlalchemy.orm import Session

from hub.analytics import rollup
from hub.analytics.measures import DIMENSIONS, FIGURES, PERIODS, Scope, measures, ratio, rates, rounded, scope_filter
from hub.db.models.analytics import DeliveryFact as F
from hub.db.models.analytics import RouteDayFact as R


def period_end(start: date, period: str) -> date:
    return start + timedelta(days=6 if period == "week" else 0)


def figures(session: Session, scope: Scope, *, by: str = "tenant", period: str = "day") -> list[dict[str, Any]]:
    """On-time rate, first-attempt rate, cost per delivery, CSAT and exceptions per period and group, from the
    daily rollup of the facts (hub/analytics/rollup.py). Groups without a value (no driver) come last."""
    if by not in DIMENSIONS or period not in PERIODS:
        raise ValueError(f"no figures by {by!r} per {period!r}")
    out = []
    for row in rollup.current_rows(session, scope, dimension=by, period=period):
        sums = SimpleNamespace(**row._mapping)
        sums.rating_avg = sums.rating_total / sums.rated if sums.rated else None
        key = scope.tenant_id if by == "tenant" else (row.key if row.key != rollup.NONE else None)
        out.append({"period": period, "period_start": row.period_start.isoformat(),
                    "period_end": min(period_end(row.period_start, period), scope.end).isoformat(),
                    "by": by, "key": key, **rates(sums)})
    return sorted(out, key=lambda r: (r["period_start"], r["key"] is None, r["key"] or ""))


def scorecards(session: Session, scope: Scope, *, who: str) -> list[dict[str, Any]]:
    """Per driver (own fleet) or per carrier: on-time, first attempt, CSAT, exceptions; drivers also stops per
    hour (attempted stops over hours on the road, from their route-days)."""
    column = F.driver_id if who == "driver" else F.carrier_id
    rows = session.execute(select(column.label("key"), *measures()).where(*scope_filter(scope), column.is_not(None))
                           .group_by(column).order_by(column)).all()
    hours: dict[str, tuple[int, int]] = {}
    if who == "driver":
        for r in session.execute(select(R.driver_id, func.sum(R.stops_done), func.sum(R.actual_duration_s))
                                 .where(*scope_filter(scope, R), R.driver_id.is_not(None)).group_by(R.driver_id)):
            hours[r[0]] = (int(r[1] or 0), int(r[2] or 0))
    out = []
    for row in rows:
        done, seconds = hours.get(row.key, (0, 0))
        out.append({"who": who, "key": row.key, **rates(row),
                    "stops_per_hour": round(done / (seconds / 3600), 2) if seconds else None})
    return out


def dwell(session: Session, scope: Scope) -> list[dict[str, Any]]:
    """Arrival to completion at stops, by stop type and postal area."""
    query = (select(F.stop_type, F.postal_area, func.count().label("stops"), func.avg(F.dwell_s).label("avg"),
                    func.min(F.dwell_s).label("min"), func.max(F.dwell_s).label("max"))
             .where(*scope_filter(scope), F.dwell_s.is_not(None)).group_by(F.stop_type, F.postal_area)
             .order_by(F.stop_type, F.postal_area))
    return [{"stop_type": r.stop_type, "postal_area": r.postal_area, "stops": r.stops,
             "dwell_avg_s": rounded(r.avg), "dwell_min_s": rounded(r.min), "dwell_max_s": rounded(r.max)}
            for r in session.execute(query)]


def route_days(session: Session, scope: Scope) -> list[Any]:
    """Plain rows, not ORM objects: a quarter of route-days is thousands of rows, and identity-mapping them
    cost more than the query."""
    return list(session.connection().execute(select(*R.__table__.columns).where(*scope_filter(scope, R))
                                             .order_by(R.day, R.depot_id, R.vehicle_id)))


def profitability(session: Session, scope: Scope) -> list[dict[str, Any]]:
    """Per route-day: delivery fees of its delivered stops minus its cost."""
    return [{"route_key": r.route_key, "day": r.day.isoformat(), "depot_id": r.depot_id, "vehicle_id": r.vehicle_id,
             "driver_id": r.driver_id, "stops": r.stops, "fees": rounded(r.fees), "cost": rounded(r.cost),
             "profit": rounded(r.fees - r.cost) if r.cost is not None else None} for r in route_days(session, scope)]


def planned_vs_actual(session: Session, scope: Scope) -> list[dict[str, Any]]:
    """Per route-day: planned against driven distance and duration, stop order kept, ETA error."""
    return [{"route_key": r.route_key, "day": r.day.isoformat(), "depot_id": r.depot_id, "vehicle_id": r.vehicle_id,
             "driver_id": r.driver_id, "stops": r.stops, "stops_done": r.stops_done,
             "planned_distance_m": r.planned_distance_m, "actual_distance_m": r.actual_distance_m,
             "planned_duration_s": r.planned_duration_s, "actual_duration_s": r.actual_duration_s,
             "stops_in_planned_order": r.stops_in_planned_order,
             "planned_order_rate": ratio(r.stops_in_planned_order, r.stops_done),
             "eta_abs_delta_s": rounded(r.eta_abs_delta_s)} for r in route_days(session, scope)]


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
    query = select(F.delivery_id).where(and_(*scope_filter(scope), *drill_conditions(drill)))
    if after:
        query = query.where(F.delivery_id > after)
    return list(session.execute(query.order_by(F.delivery_id).limit(limit)).scalars())


def failed_points(session: Session, scope: Scope, reason: str | None = None) -> Iterable[Any]:
    """Failed deliveries with a position, for the heatmap (hub/analytics/heatmap.py)."""
    query = select(F.delivery_id, F.lat, F.lng, F.failure_reason).where(
        *scope_filter(scope), FIGURES["failed"], F.lat.is_not(None), F.lng.is_not(None))
    if reason:
        query = query.where(F.failure_reason == reason)
    return session.execute(query.order_by(F.delivery_id))
