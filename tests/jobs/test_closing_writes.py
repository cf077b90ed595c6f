"""A handler's closing writes (hub/outbox/running.py `finish_with`: what a dispatch records after the carrier answered)
commit with the end of its row of work, in one transaction; if they fail, the try failed and none of them is kept."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.orm import Session

from hub.db.engine import transaction
from hub.db.models import OutboxItem, Tenant
from hub.outbox import relay as work
from hub.outbox import running
from hub.outbox.kinds import HANDLERS, Handler
from hub.outbox.rows import add_outbox
from hub.runtime import Runtime

BEHAVIOUR: dict[str, Any] = {}


def name_the_tenant(session: Session) -> None:
    BEHAVIOUR["held while closing"] = running.held()  # the heartbeat renews these leases
    if BEHAVIOUR.get("fail"):
        raise RuntimeError("the closing write failed")
    session.get(Tenant, BEHAVIOUR["tenant_id"]).name = BEHAVIOUR["name"]


def closing_probe(runtime: Runtime, item_id: int) -> None:
    """An outside call would be here; what it answered is written with the row's end."""
    BEHAVIOUR["calls"] = BEHAVIOUR.get("calls", 0) + 1
    running.finish_with(runtime, item_id, name_the_tenant)


@pytest.fixture
def closing_kind(monkeypatch: pytest.MonkeyPatch, tenant: dict[str, Any]) -> str:
    BEHAVIOUR.clear()
    BEHAVIOUR.update(tenant_id=tenant["id"], name="closed")
    monkeypatch.setitem(HANDLERS, "closing_probe", Handler(f"{__name__}.closing_probe", "dispatch", "external"))
    return "closing_probe"


def add(runtime: Runtime, tenant_id: str) -> int:
    with transaction(runtime.sessions) as session:
        return add_outbox(session, tenant_id=tenant_id, kind="closing_probe", payload={}).id


def tenant_name(runtime: Runtime, tenant_id: str) -> str:
    with runtime.sessions() as session:
        return session.get(Tenant, tenant_id).name


def test_closing_writes_commit_with_the_rows_end(clean: Runtime, tenant: dict[str, Any], closing_kind: str) -> None:
    item_id = add(clean, tenant["id"])
    commits: list[int] = []
    count = lambda session: commits.append(1)  # noqa: E731
    event.listen(Session, "after_commit", count)
    try:
        assert work.drain_lane(clean, "dispatch") == 1
    finally:
        event.remove(Session, "after_commit", count)
    assert len(commits) == 2  # the claim, then the closing writes with the end (and the look for a next row)
    assert tenant_name(clean, tenant["id"]) == "closed"
    assert BEHAVIOUR["held while closing"] == [item_id]  # they may call out (a re-assignment asks for quotes)
    assert running.held() == []
    with clean.sessions() as session:
        assert session.get(OutboxItem, item_id).state == "done"


def test_closing_writes_that_fail_fail_the_try_and_keep_nothing(clean: Runtime, tenant: dict[str, Any],
                                                                 closing_kind: str) -> None:
    item_id = add(clean, tenant["id"])
    before = tenant_name(clean, tenant["id"])
    BEHAVIOUR["fail"] = True
    assert work.run(clean, work.claim(clean, "dispatch")) == "pending"
    assert tenant_name(clean, tenant["id"]) == before
    with clean.sessions() as session:
        row = session.get(OutboxItem, item_id)
        assert row.state == "pending" and row.attempts == 1 and row.claimed_by is None
        assert "the closing write failed" in row.last_error


def test_outside_the_relay_closing_writes_are_written_at_once(clean: Runtime, tenant: dict[str, Any],
                                                              closing_kind: str) -> None:
    closing_probe(clean, add(clean, tenant["id"]))  # a handler called directly, as a test or a script may
    assert tenant_name(clean, tenant["id"]) == "closed"
