"""What the figures count, and how: the dimensions and periods they group by, the subsets they count, the scope
they filter on, and the measures summed per group. Shared by the figures (hub/analytics/figures.py) and their daily
rollup (hub/analytics/rollup.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, case, func, literal_column, true

from hub.db.models.analytics import DeliveryFact as F

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


def scope_filter(scope: Scope, model: Any = F) -> list[ColumnElement[bool]]:
    out = [model.tenant_id == scope.tenant_id, model.day >= scope.start, model.day <= scope.end]
    if scope.depot_id:
        out.append(model.depot_id == scope.depot_id)
    return out


def count_where(cond: ColumnElement[bool]) -> Any:
    return func.sum(case((cond, 1), else_=0))


def ratio(part: int | None, whole: int | None) -> float | None:
    return round(part / whole, 4) if whole and part is not None else None


def rounded(value: Any) -> float | None:
    return round(float(value), 4) if value is not None else None


def measures() -> list[Any]:
    return [
        func.count().label("deliveries"), count_where(FIGURES["delivered"]).label("delivered"),
        count_where(FIGURES["on_time_counted"]).label("on_time_counted"), count_where(FIGURES["on_time"]).label("on_time"),
        count_where(FIGURES["attempted"]).label("attempted"), count_where(FIGURES["first_attempt_ok"]).label("first_attempt_ok"),
        count_where(FIGURES["failed"]).label("failed"), count_where(FIGURES["costed"]).label("costed"),
        func.sum(F.cost).label("cost_total"), count_where(FIGURES["rated"]).label("rated"),
        count_where(FIGURES["satisfied"]).label("satisfied"), func.avg(F.rating).label("rating_avg"),
        func.sum(F.exceptions).label("exceptions"),
    ]


def rates(row: Any) -> dict[str, Any]:
    return {
        "deliveries": row.deliveries, "delivered": row.delivered or 0,
        "on_time_rate": ratio(row.on_time, row.on_time_counted), "on_time": row.on_time or 0,
        "on_time_counted": row.on_time_counted or 0,
        "first_attempt_rate": ratio(row.first_attempt_ok, row.attempted), "attempted": row.attempted or 0,
        "first_attempt_ok": row.first_attempt_ok or 0, "failed": row.failed or 0,
        "cost_per_delivery": rounded(row.cost_total / row.costed) if row.costed else None,
        "cost_total": rounded(row.cost_total), "costed": row.costed or 0,
        "csat": ratio(row.satisfied, row.rated), "rating_avg": rounded(row.rating_avg), "rated": row.rated or 0,
        "exceptions": int(row.exceptions or 0),
    }


