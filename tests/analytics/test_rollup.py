"""The figures read a daily rollup of the facts (hub/analytics/rollup.py): it must answer exactly what aggregating
the facts of the range answers, for every dimension, period and depot scope, after the history changes, and
after a rebuild."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from sqlalchemy import event as sqlalchemy_event
from sqlalchemy import literal, select
from sqlalchemy.exc import IntegrityError

from hub.analytics.feed import rebuild_tenant, refresh_delivery
from hub.analytics.rollup import touch
from hub.analytics.figures import figures
from hub.analytics.measures import DIMENSIONS, PERIODS, Scope, measures, rates, scope_filter
from hub.db.engine import transaction
from hub.db.models import Delivery, OutboxItem, Tenant
from hub.db.models.analytics import DailyRollup, RollupDay
from hub.ledger.events import append_event
from hub.outbox.rows import add_outbox_rows, work_row
from tests.analytics import history

MONTH = (date(2030, 3, 1), date(2030, 3, 31))


@pytest.fixture
def built(clean, client, tenant, run_jobs) -> dict[str, str]:
    return history.build(clean, client, tenant, run_jobs)


def aggregated(session: Any, scope: Scope, by: str, period: str) -> list[dict[str, Any]]:
    """The figures as aggregating the range's facts gives them (what `figures` did before the rollup)."""
    group, bucket = DIMENSIONS[by], PERIODS[period]
    key = group if group is not None else literal(scope.tenant_id)
    rows = session.execute(select(bucket.label("start"), key.label("key"), *measures()).where(*scope_filter(scope))
                           .group_by(bucket, *([group] if group is not None else [])))
    return sorted(({"period_start": r.start.isoformat(), "key": r.key, **rates(r)} for r in rows),
                  key=lambda r: (r["period_start"], r["key"] is None, r["key"] or ""))


def assert_same_as_the_facts(runtime: Any, tenant_id: str, depot_id: str | None = None) -> None:
    scope = Scope(tenant_id, *MONTH, depot_id=depot_id)
    for by in DIMENSIONS:
        for period in PERIODS:
            with runtime.sessions() as session:
                expected = aggregated(session, scope, by, period)
                answered = [{k: v for k, v in row.items() if k not in ("period", "period_end", "by")}
                            for row in figures(session, scope, by=by, period=period)]
            assert answered == expected, (by, period, depot_id)


def test_every_dimension_and_period_matches_the_facts(built, clean, tenant) -> None:
    assert_same_as_the_facts(clean, tenant["id"])
    assert_same_as_the_facts(clean, tenant["id"], depot_id="D1")
    with clean.sessions() as session:  # the reads above summed every day: none is left stale
        days = session.execute(select(RollupDay).where(RollupDay.tenant_id == tenant["id"])).scalars().all()
        assert days and all(d.rolled == d.changes for d in days)


def test_a_change_after_a_read_shows_in_the_next_read(built, clean, tenant, run_jobs) -> None:
    scope = Scope(tenant["id"], *MONTH)
    with clean.sessions() as session:
        before = figures(session, scope, by="driver", period="day")
    with transaction(clean.sessions) as session:  # C's customer rates it after the figures were read
        append_event(session, session.get(Delivery, built["C"]), "delivery.rated", {"rating": 1},
                     actor={"kind": "system", "id": "customer-page"}, occurred_at=history.at(11, "21:00"))
    run_jobs()

    assert_same_as_the_facts(clean, tenant["id"])
    with clean.sessions() as session:
        after = figures(session, scope, by="driver", period="day")
    assert sum(r["rated"] for r in after) == sum(r["rated"] for r in before) + 1


def test_a_rebuild_sums_every_day_again(built, clean, tenant) -> None:
    with transaction(clean.sessions) as session:
        rebuild_tenant(session, tenant["id"])
    with clean.sessions() as session:
        assert session.execute(select(DailyRollup).where(DailyRollup.tenant_id == tenant["id"])).first()
        stale = session.execute(select(RollupDay).where(RollupDay.rolled < RollupDay.changes)).first()
        assert stale is None
    assert_same_as_the_facts(clean, tenant["id"])


def test_one_transaction_counts_a_change_of_each_day_once_as_it_commits(built, clean, tenant) -> None:
    # A worker refreshes many deliveries of one day in one transaction (rows run several to a transaction): the
    # day's counter is written once, at the commit, not once per delivery with its row lock held from the first.
    with clean.sessions() as session:
        before = {d.day: d.changes for d in session.execute(select(RollupDay)).scalars()}
    writes: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if "analytics_rollup_days" in statement and statement.lstrip().startswith("INSERT"):
            writes.append(statement)

    sqlalchemy_event.listen(clean.engine, "before_cursor_execute", record)
    try:
        with transaction(clean.sessions) as session:
            for name in ("A", "B", "C"):
                refresh_delivery(session, tenant["id"], built[name])
            assert writes == []  # nothing counted before the commit
    finally:
        sqlalchemy_event.remove(clean.engine, "before_cursor_execute", record)
    assert len(writes) == 1  # one statement for every day touched
    with clean.sessions() as session:
        after = {d.day: d.changes for d in session.execute(select(RollupDay)).scalars()}
    changed = {day for day in after if after[day] != before.get(day)}
    assert changed and all(after[day] == before.get(day, 0) + 1 for day in changed)

    with pytest.raises(RuntimeError), transaction(clean.sessions) as session:  # a rollback counts nothing
        refresh_delivery(session, tenant["id"], built["A"])
        raise RuntimeError("rolled back")
    with clean.sessions() as session:
        assert {d.day: d.changes for d in session.execute(select(RollupDay)).scalars()} == after
    assert_same_as_the_facts(clean, tenant["id"])


def test_a_savepoint_rolling_back_loses_no_count_and_no_row_of_work(clean, tenant) -> None:
    # A savepoint that rolls back (hub/notify/messages.py plans a message that way, and a repeat is refused by the
    # database) must not take with it what the transaction did before it: its rows of work, or a day's count.
    day = date(2030, 3, 2)
    with transaction(clean.sessions) as session:
        add_outbox_rows(session, [work_row(tenant_id=tenant["id"], kind="analytics", payload={"probe": 1})])
        touch(session, tenant["id"], [day])
        with pytest.raises(IntegrityError), session.begin_nested():
            session.add(Tenant(id=tenant["id"], name="the same id again"))
    with clean.sessions() as session:
        kinds = session.execute(select(OutboxItem.payload).where(OutboxItem.kind == "analytics")).scalars().all()
        assert {"probe": 1} in kinds
        counted = session.execute(select(RollupDay.changes).where(RollupDay.tenant_id == tenant["id"],
                                                                  RollupDay.day == day)).scalar_one_or_none()
        assert counted == 1
