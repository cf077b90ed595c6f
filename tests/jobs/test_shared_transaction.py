"""Handlers that share the row's transaction (hub/outbox/kinds.py `shares_transaction`, hub/outbox/relay.py
`_run_rows`): their writes and their row's end commit together, several rows to a commit; a claim that ran out takes
the writes back; a row failing in a batch leaves the others done once; a database error the handler caught does not
poison the row's end."""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import event, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from hub.db.engine import transaction
from hub.db.models import OutboxItem, Tenant, utcnow
from hub.outbox import pacing
from hub.outbox import relay as work
from hub.outbox.kinds import HANDLERS, Handler
from hub.outbox.rows import add_outbox
from hub.runtime import Runtime

BEHAVIOUR: dict[str, Any] = {}


def marks(runtime: Runtime, tenant_id: str) -> list[int]:
    with runtime.sessions() as session:
        return list((session.get(Tenant, tenant_id).settings or {}).get("probe_marks", []))


def sharing_probe(runtime: Runtime, item_id: int) -> None:
    """Writes a mark on its tenant, after doing what the test asked."""
    if item_id in BEHAVIOUR.get("fail", ()):
        raise RuntimeError("this row always fails")
    if BEHAVIOUR.get("swallow_database_error") and not BEHAVIOUR.pop("swallowed", False):
        BEHAVIOUR["swallowed"] = True
        try:
            with transaction(runtime.sessions) as session:
                session.execute(text("SELECT * FROM no_such_table"))
        except DBAPIError:
            pass  # carries on, as a handler that expects a race may
    if BEHAVIOUR.get("lose_claim"):
        # Another worker claims the row after its lease ran out (a thread: its own transaction, as a worker's).
        stolen = threading.Thread(target=lambda: BEHAVIOUR.update(other=work.claim(
            runtime, "ingest", worker="other", now=utcnow() + timedelta(seconds=work.LEASE_S + 60))))
        stolen.start()
        stolen.join()
    if BEHAVIOUR.get("write_a_duplicate"):
        with transaction(runtime.sessions) as session:
            session.add(Tenant(id=BEHAVIOUR["tenant_id"], name="a second tenant with the same id"))
        return  # the database refuses it only when the write is sent (at the flush or the commit)
    with transaction(runtime.sessions) as session:
        tenant = session.get(Tenant, BEHAVIOUR["tenant_id"])
        tenant.settings = {**(tenant.settings or {}),
                           "probe_marks": [*(tenant.settings or {}).get("probe_marks", []), item_id]}


@pytest.fixture
def sharing_kind(monkeypatch: pytest.MonkeyPatch, tenant: dict[str, Any]) -> str:
    BEHAVIOUR.clear()
    BEHAVIOUR["tenant_id"] = tenant["id"]
    monkeypatch.setitem(HANDLERS, "sharing_probe", Handler(f"{__name__}.sharing_probe", "ingest", "ingest",
                                                           shares_transaction=True))
    return "sharing_probe"


def add(runtime: Runtime, tenant_id: str, kind: str) -> int:
    with transaction(runtime.sessions) as session:
        return add_outbox(session, tenant_id=tenant_id, kind=kind, payload={}).id


def state(runtime: Runtime, item_id: int) -> tuple[str, str | None]:
    with runtime.sessions() as session:
        row = session.get(OutboxItem, item_id)
        return row.state, row.claimed_by


def commits_while(action: Any) -> int:
    commits: list[int] = []
    count = lambda session: commits.append(1)  # noqa: E731
    event.listen(Session, "after_commit", count)
    try:
        action()
    finally:
        event.remove(Session, "after_commit", count)
    return len(commits)


def test_sharing_handlers_commit_with_their_rows_ends_several_rows_to_a_commit(
        clean: Runtime, tenant: dict[str, Any], sharing_kind: str, monkeypatch: pytest.MonkeyPatch) -> None:
    rows = [add(clean, tenant["id"], sharing_kind) for _ in range(5)]
    ran: list[int] = []
    monkeypatch.setattr(pacing, "BATCH_ROWS", 2)
    assert commits_while(lambda: ran.append(work.drain_lane(clean, "ingest"))) == 1 + 3  # first claim, 2 + 2 + 1 rows
    assert ran == [5]
    assert marks(clean, tenant["id"]) == rows and [state(clean, r) for r in rows] == [("done", None)] * 5


def test_a_row_failing_in_a_batch_leaves_the_others_done_once_and_itself_due_again(
        clean: Runtime, tenant: dict[str, Any], sharing_kind: str) -> None:
    rows = [add(clean, tenant["id"], sharing_kind) for _ in range(4)]
    BEHAVIOUR["fail"] = {rows[2]}
    assert work.drain_lane(clean, "ingest") == 4
    assert marks(clean, tenant["id"]) == [rows[0], rows[1], rows[3]]  # each written once, though rolled back once
    assert [state(clean, r) for r in rows] == [("done", None), ("done", None), ("pending", None), ("done", None)]
    with clean.sessions() as session:
        failed = session.get(OutboxItem, rows[2])
        assert failed.attempts == 1 and "this row always fails" in failed.last_error  # one try counted, not two
        assert failed.due_at > utcnow()  # due again when its policy says


def test_a_claim_that_ran_out_takes_the_handlers_writes_back(clean: Runtime, tenant: dict[str, Any],
                                                             sharing_kind: str) -> None:
    if clean.engine.dialect.name == "sqlite":
        pytest.skip("SQLite's write lock keeps every other claimer out while the row's transaction runs")
    item_id = add(clean, tenant["id"], sharing_kind)
    BEHAVIOUR["lose_claim"] = True
    work.drain_lane(clean, "ingest")
    assert BEHAVIOUR["other"] is not None and BEHAVIOUR["other"].id == item_id  # the other worker took it
    assert marks(clean, tenant["id"]) == []  # what the late handler wrote went with its lost claim
    assert state(clean, item_id) == ("pending", "other")  # the row is the other worker's to run and end


def test_a_database_error_the_handler_caught_does_not_spoil_its_rows_end(clean: Runtime, tenant: dict[str, Any],
                                                                        sharing_kind: str) -> None:
    item_id = add(clean, tenant["id"], sharing_kind)
    BEHAVIOUR["swallow_database_error"] = True
    assert work.drain_lane(clean, "ingest") == 1
    assert marks(clean, tenant["id"]) == [item_id]  # run again in transactions of its own: written once
    assert state(clean, item_id) == ("done", None)


def test_a_write_the_database_refuses_fails_the_handler_not_the_drain(clean: Runtime, tenant: dict[str, Any],
                                                                    sharing_kind: str) -> None:
    item_id = add(clean, tenant["id"], sharing_kind)
    BEHAVIOUR["write_a_duplicate"] = True
    assert work.drain_lane(clean, "ingest") == 1  # nothing escapes the drain
    with clean.sessions() as session:
        row = session.get(OutboxItem, item_id)
        assert (row.state, row.claimed_by, row.attempts) == ("pending", None, 1)  # tried again later, by its policy
        assert "IntegrityError" in row.last_error
