"""The work ledger (hub/outbox/relay.py, hub/outbox/sweeper.py): claims are exclusive, leases run out, retries
are due times in the database, dead work is visible with its reason, and one sweeper rings lost bells."""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select, update

from hub.db.engine import transaction
from hub.db.models import OutboxItem, utcnow
from hub.errors import PermanentError
from hub.outbox import pacing
from hub.outbox import relay as work
from hub.outbox.bells import BELLS_PER_LANE
from hub.outbox.policies import policy
from hub.outbox.kinds import HANDLERS, Handler
from hub.outbox.rows import add_outbox, schedule_once
from hub.outbox.status import work_status
from hub.outbox.sweeper import ROLE_LEASE_S, sweep, take_role
from hub.runtime import Runtime

RAN: list[int] = []
BEHAVIOUR: dict[str, Any] = {}


def probe(runtime: Runtime, item_id: int) -> None:
    """A test kind of work: records that it ran, then does what the test asked."""
    RAN.append(item_id)
    action = BEHAVIOUR.get("action")
    if action == "crash":
        raise RuntimeError("the handler crashed")
    if action == "permanent":
        raise PermanentError("this can never work")
    if action == "defer":
        raise work.Deferred(120, "the receiver asked us to wait")
    if action == "block":
        BEHAVIOUR["started"].set()
        BEHAVIOUR["release"].wait(10)


@pytest.fixture
def probe_kind(monkeypatch: pytest.MonkeyPatch) -> str:
    RAN.clear()
    BEHAVIOUR.clear()
    monkeypatch.setitem(HANDLERS, "probe", Handler(f"{__name__}.probe", "ingest", "ingest"))
    return "probe"


def add(runtime: Runtime, tenant_id: str, kind: str = "probe", **options: Any) -> int:
    with transaction(runtime.sessions) as session:
        return add_outbox(session, tenant_id=tenant_id, kind=kind, payload={}, **options).id


def row(runtime: Runtime, item_id: int) -> OutboxItem:
    with runtime.sessions() as session:
        return session.get(OutboxItem, item_id)


def test_a_row_is_claimed_by_one_worker_only(clean: Runtime, tenant: dict[str, Any], probe_kind: str) -> None:
    item_id = add(clean, tenant["id"])
    barrier, taken = threading.Barrier(4), []

    def claimer(n: int) -> None:
        barrier.wait()
        claim = work.claim(clean, "ingest", worker=f"w{n}")
        if claim is not None:
            taken.append(claim)

    threads = [threading.Thread(target=claimer, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert [c.id for c in taken] == [item_id]
    assert work.claim(clean, "ingest", worker="late") is None  # held by a live lease


def test_a_dead_workers_claim_runs_out_and_the_row_runs_once_elsewhere(clean: Runtime, tenant: dict[str, Any],
                                                                        probe_kind: str) -> None:
    item_id = add(clean, tenant["id"])
    first = work.claim(clean, "ingest", worker="killed")  # then the worker dies: no end is recorded
    assert first is not None and work.claim(clean, "ingest", worker="other") is None
    later = utcnow() + timedelta(seconds=work.LEASE_S + 1)
    second = work.claim(clean, "ingest", worker="other", now=later)
    assert second is not None and second.attempts == 2
    assert work.run(clean, second) == "done" and RAN == [item_id]
    assert work.run(clean, first) == "lost"  # the dead claim, if it ever came back, cannot overwrite the end
    assert row(clean, item_id).state == "done"


def test_the_heartbeat_keeps_a_slow_row_from_being_taken(clean: Runtime, tenant: dict[str, Any],
                                                         probe_kind: str) -> None:
    add(clean, tenant["id"])
    claim = work.claim(clean, "ingest", worker="slow")
    soon = utcnow() + timedelta(seconds=work.LEASE_S - 1)
    assert work.renew(clean, "slow", [claim.id], now=soon) == 1
    assert work.claim(clean, "ingest", worker="other", now=soon + timedelta(seconds=2)) is None


def test_failures_retry_at_the_policys_due_times_then_die_with_their_reason(
        clean: Runtime, tenant: dict[str, Any], probe_kind: str, client: Any) -> None:
    BEHAVIOUR["action"] = "crash"
    item_id = add(clean, tenant["id"])
    chosen = policy("ingest")
    for n in range(1, chosen.retries + 2):
        claim = work.claim(clean, "ingest", now=utcnow() + timedelta(days=n))  # jump past the backoff
        assert claim is not None and claim.attempts == n
        state = work.run(clean, claim)
        current = row(clean, item_id)
        if n <= chosen.retries:
            assert state == "pending" and current.claimed_by is None
            wait = (current.due_at - utcnow()).total_seconds()
            assert abs(wait - chosen.intervals_s[n - 1]) < 5
    assert state == "dead" and current.state == "dead" and "the handler crashed" in current.last_error
    dead = client.get("/api/v1/jobs/dead-letters", headers=tenant["headers"]).get_json()["items"]
    assert [(d["id"], d["kind"], d["attempts"]) for d in dead] == [(f"work-{item_id}", "probe", chosen.retries + 1)]
    assert "RuntimeError: the handler crashed" in dead[0]["reason"]


def test_a_permanent_error_dies_at_once_and_deferring_does_not_count(clean: Runtime, tenant: dict[str, Any],
                                                                      probe_kind: str) -> None:
    BEHAVIOUR["action"] = "defer"
    deferred = add(clean, tenant["id"])
    assert work.run(clean, work.claim(clean, "ingest")) == "deferred"
    current = row(clean, deferred)
    assert (current.state, current.attempts) == ("pending", 0)
    assert 100 < (current.due_at - utcnow()).total_seconds() <= 120
    BEHAVIOUR["action"] = "permanent"
    doomed = add(clean, tenant["id"])
    assert work.run(clean, work.claim(clean, "ingest")) == "dead"
    assert row(clean, doomed).last_error == "PermanentError: this can never work"


def test_dead_letters_are_scoped_to_the_callers_tenant(clean: Runtime, tenant: dict[str, Any], probe_kind: str,
                                                        client: Any) -> None:
    from hub.ledger.tenants import create_tenant

    with transaction(clean.sessions) as session:
        other = create_tenant(session, "someone-else")
    BEHAVIOUR["action"] = "permanent"
    add(clean, other.id)
    work.run(clean, work.claim(clean, "ingest"))
    assert client.get("/api/v1/jobs/dead-letters", headers=tenant["headers"]).get_json()["items"] == []


def test_one_sweeper_at_a_time_and_another_takes_over_when_it_dies(clean: Runtime) -> None:
    assert take_role(clean, "a") and not take_role(clean, "b")
    assert take_role(clean, "a")  # renewing
    with transaction(clean.sessions) as session:  # a dies: its lease runs out
        from hub.db.models import Lease

        session.execute(update(Lease).values(until=utcnow() - timedelta(seconds=1)))
    assert take_role(clean, "b") and not take_role(clean, "a")
    assert ROLE_LEASE_S <= 10  # within seconds, as the README says


def test_the_sweeper_rings_for_work_whose_bell_was_lost(clean: Runtime, tenant: dict[str, Any],
                                                        probe_kind: str) -> None:
    add(clean, tenant["id"])
    queue = clean.queue("ingest")
    assert queue.count == 1
    clean.redis.delete(queue.key)  # the bell popped by a worker that was killed before it started the job
    assert queue.count == 0
    result = sweep(clean)
    assert result.rung == ("ingest",) and queue.count == 1
    for _ in range(10):  # however often it sweeps, bells stay bounded
        sweep(clean)
    assert queue.count == BELLS_PER_LANE


def test_a_drain_yields_to_a_more_urgent_lane_after_the_row_in_hand(clean: Runtime, tenant: dict[str, Any],
                                                                    probe_kind: str,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pacing, "_served", ("dispatch", "assign", "ingest"))
    monkeypatch.setattr(pacing, "YIELD_LOOK_S", 0.0)  # look for more urgent bells after every row
    rows = [add(clean, tenant["id"]) for _ in range(3)]
    clean.redis.delete(clean.queue("ingest").key)
    clean.queue("dispatch").enqueue_call("hub.outbox.relay.drain", args=["dispatch"])  # work in flight waits
    assert work.drain_lane(clean, "ingest", budget_s=60) == 1  # one row, not the whole budget
    assert RAN == rows[:1] and clean.queue("ingest").count == 1  # and its own bell rung again for the rest
    clean.redis.delete(clean.queue("dispatch").key)
    assert work.drain_lane(clean, "ingest", budget_s=60) == 2


def test_a_drain_looks_for_more_urgent_bells_only_every_so_often(clean: Runtime, tenant: dict[str, Any],
                                                                  probe_kind: str,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    # A drain that ended at every waiting bell ran one or two rows per RQ job in a burst; between looks it goes on.
    monkeypatch.setattr(pacing, "_served", ("dispatch", "assign", "ingest"))
    monkeypatch.setattr(pacing, "YIELD_LOOK_S", 3600.0)
    rows = [add(clean, tenant["id"]) for _ in range(3)]
    clean.redis.delete(clean.queue("ingest").key)
    clean.queue("dispatch").enqueue_call("hub.outbox.relay.drain", args=["dispatch"])
    assert work.drain_lane(clean, "ingest", budget_s=60) == 3
    assert RAN == rows and clean.queue("ingest").count == 0


def test_scheduled_work_waits_for_its_time_and_does_not_pile_up(clean: Runtime, tenant: dict[str, Any],
                                                                probe_kind: str) -> None:
    later = utcnow() + timedelta(seconds=60)
    with transaction(clean.sessions) as session:
        first = schedule_once(session, tenant_id=tenant["id"], kind="probe", payload={}, dedupe_key="k", due_at=later)
        again = schedule_once(session, tenant_id=tenant["id"], kind="probe", payload={}, dedupe_key="k", due_at=later)
    assert first is not None and again is None
    assert work.claim(clean, "ingest") is None
    assert work.claim(clean, "ingest", now=later + timedelta(seconds=1)) is not None


def test_status_counts_each_kind_of_work_and_says_quiet(clean: Runtime, tenant: dict[str, Any],
                                                        probe_kind: str) -> None:
    assert work_status(clean).quiet
    BEHAVIOUR["action"] = "crash"
    add(clean, tenant["id"])
    add(clean, tenant["id"])
    work.run(clean, work.claim(clean, "ingest"))  # one retrying
    work.claim(clean, "ingest")  # one claimed
    status = work_status(clean)
    assert not status.quiet
    assert (status.work["probe"].pending, status.work["probe"].claimed, status.work["probe"].retrying) == (0, 1, 1)
    with clean.sessions() as session:
        assert session.execute(select(OutboxItem.state)).scalars().all() == ["pending", "pending"]


def test_a_row_that_kills_its_worker_every_time_is_given_up(clean: Runtime, tenant: dict[str, Any],
                                                             probe_kind: str) -> None:
    item_id = add(clean, tenant["id"])
    moment = utcnow()
    limit = max(policy("ingest").retries + 1, work.CRASH_LIMIT)
    for _ in range(limit + 1):  # claimed, then the worker dies before any end is recorded
        moment += timedelta(seconds=work.LEASE_S + 1)
        taken = work.claim(clean, "ingest", worker="doomed", now=moment)
    assert work.run(clean, taken) == "dead" and RAN == []
    assert "its worker died each time" in row(clean, item_id).last_error
