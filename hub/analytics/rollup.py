"""The figures' daily rollup: the measures of every tenant's day summed per depot and per key of each dimension,
so a figure over 90 days reads a few thousand sums instead of aggregating 180,000 facts per request.

The facts stay the truth. Every write to a fact counts a change of its day (`touch`, in the writer's transaction);
a figure first sums again the days of its range whose changes the rollup has not seen (`current_rows`), then reads
the sums. Both sides take the day's row lock (PostgreSQL), so two readers never sum one day at once, and a change
committed while a day is being summed leaves the day stale for the next reader, never lost.
"""

from __future__ import annotations

import functools
from datetime import date
from typing import Any, Iterable

from sqlalchemy import bindparam, delete, event, func, insert, literal, select, union_all
from sqlalchemy.orm import Session, SessionTransaction, sessionmaker

from hub.analytics.measures import DIMENSIONS, FIGURES, Scope, count_where
from hub.db.engine import transaction, upsert_for
from hub.db.models.analytics import DailyRollup as D
from hub.db.models.analytics import DeliveryFact as F
from hub.db.models.analytics import RollupDay

NONE = ""  # the rollup's key (or depot) for facts without one: primary keys hold no NULL

# Each summable measure, as summed over facts; `figures` turns the sums into rates.
SUMS: dict[str, Any] = {
    "deliveries": func.count(),
    **{name: count_where(FIGURES[name]) for name in (
        "delivered", "on_time_counted", "on_time", "attempted", "first_attempt_ok", "failed", "costed", "rated",
        "satisfied")},
    "cost_total": func.sum(F.cost),
    "rating_total": func.sum(F.rating),
    "exceptions": func.sum(F.exceptions),
}


_TOUCHED = "hub.rollup_days_touched"  # session.info: (tenant id, day) of the facts the transaction changed


def touch(session: Session, tenant_id: str, days: Iterable[date | None]) -> None:
    """Count a change of each day's facts in the caller's transaction: once per day, as it commits. A worker's
    transaction refreshes many deliveries of one day (hub/outbox/relay.py runs rows several to a transaction);
    counting at each took the day's row lock at the first and held it to the commit, so the other worker's
    transaction waited on it, and wrote the row once per delivery. Kept apart from the transaction's memos, which
    a savepoint rolling back forgets: a count forgotten would leave the day's sums stale for good, while one for
    facts a savepoint took back only has the day summed again."""
    session.info.setdefault(_TOUCHED, set()).update((tenant_id, d) for d in days if d is not None)


def _count_changes(session: Session) -> None:
    if session.in_nested_transaction():
        return  # a savepoint's release: the transaction's own commit counts
    touched = session.info.pop(_TOUCHED, None)
    if touched:  # in (tenant, day) order, so writers lock alike
        session.execute(_count_statement(session.get_bind().dialect.name),
                        [{"tenant_id": tenant_id, "day": day} for tenant_id, day in sorted(touched)])


def _forget_counts(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:  # the transaction ended (a rollback: its facts went with it)
        session.info.pop(_TOUCHED, None)


event.listen(Session, "before_commit", _count_changes)
event.listen(Session, "after_transaction_end", _forget_counts)


@functools.cache
def _count_statement(dialect: str) -> Any:
    insert_ = upsert_for(dialect)(RollupDay.__table__)
    return insert_.values(tenant_id=bindparam("tenant_id"), day=bindparam("day"), changes=1, rolled=0) \
        .on_conflict_do_update(index_elements=[RollupDay.tenant_id, RollupDay.day],
                               set_={"changes": RollupDay.__table__.c.changes + 1})


def _sums_by_day(tenant_id: str, days: list[date] | None) -> Any:
    """One statement (one snapshot) for every dimension's sums of the days (None: all the tenant's days)."""
    parts = []
    for dimension, column in DIMENSIONS.items():
        key = func.coalesce(column, NONE) if column is not None else literal(NONE)
        depot = func.coalesce(F.depot_id, NONE)
        query = select(F.day, F.week, literal(dimension).label("dimension"), depot.label("depot_id"),
                       key.label("key"), *(value.label(name) for name, value in SUMS.items())
                       ).where(F.tenant_id == tenant_id)
        if days is not None:
            query = query.where(F.day.in_(days))
        parts.append(query.group_by(F.day, F.week, depot, key))
    return union_all(*parts)


def roll(session: Session, tenant_id: str, days: dict[date, int] | None = None) -> int:
    """Sum the days again and record them as current up to the changes given (None: every day, as after a
    rebuild). Returns the rows written."""
    chosen = sorted(days) if days is not None else None
    clear = delete(D).where(D.tenant_id == tenant_id)
    session.execute(clear.where(D.day.in_(chosen)) if chosen is not None else clear)
    rows = [dict(row._mapping) for row in session.execute(_sums_by_day(tenant_id, chosen))]
    for row in rows:
        row["tenant_id"] = tenant_id
        for name in SUMS:
            if name not in ("cost_total", "rating_total"):
                row[name] = int(row[name] or 0)
    if rows:
        session.execute(insert(D), rows)
    if days is None:
        session.execute(delete(RollupDay).where(RollupDay.tenant_id == tenant_id))
        seen = sorted({row["day"] for row in rows})
        if seen:
            session.execute(insert(RollupDay), [{"tenant_id": tenant_id, "day": d, "changes": 0, "rolled": 0}
                                                for d in seen])
    else:
        for day, changes in days.items():
            session.execute(RollupDay.__table__.update()
                            .where(RollupDay.tenant_id == tenant_id, RollupDay.day == day)
                            .values(rolled=changes))
    return len(rows)


def _stale(session: Session, scope: Scope, *, lock: bool) -> dict[date, int]:
    query = (select(RollupDay.day, RollupDay.changes).where(
        RollupDay.tenant_id == scope.tenant_id, RollupDay.day >= scope.start, RollupDay.day <= scope.end,
        RollupDay.rolled < RollupDay.changes).order_by(RollupDay.day))
    return {row.day: row.changes for row in session.execute(query.with_for_update() if lock else query)}


def current_rows(session: Session, scope: Scope, *, dimension: str, period: str) -> list[Any]:
    """The sums per period and key for the scope, after summing again the range's stale days. The summing is a
    write of its own (committed before the answer); with nothing stale, the caller's session reads alone."""
    if _stale(session, scope, lock=False):
        with transaction(sessionmaker(session.get_bind(), expire_on_commit=False)) as writer:
            stale = _stale(writer, scope, lock=True)  # another reader may have summed them meanwhile
            if stale:
                roll(writer, scope.tenant_id, stale)
            return _read(writer, scope, dimension, period)
    return _read(session, scope, dimension, period)


def _read(session: Session, scope: Scope, dimension: str, period: str) -> list[Any]:
    bucket = D.week if period == "week" else D.day
    query = (select(bucket.label("period_start"), D.key, *(func.sum(getattr(D, name)).label(name) for name in SUMS))
             .where(D.tenant_id == scope.tenant_id, D.day >= scope.start, D.day <= scope.end,
                    D.dimension == dimension)
             .group_by(bucket, D.key))
    if scope.depot_id:
        query = query.where(D.depot_id == scope.depot_id)
    return list(session.execute(query))
