"""The generic polling job (hub/jobs/pull.py) with a scripted pull connector: bookmarks move only with
stored pages, runs are bounded, errors pause or retry, and the job keeps exactly one schedule going."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
import requests
from marshmallow import Schema, fields
from requests.structures import CaseInsensitiveDict
from sqlalchemy import select, update

from hub.db.engine import transaction
from hub.db.models import InboxItem, Installation, OutboxItem, Tenant
from hub.intake import polling
from hub.jobs import pull
from hub.ledger.installations import create_installation
from hub.plugins import (
    MAP_DELIVERY,
    PULL_ORDERS,
    RECEIVE_WEBHOOK,
    ConnectorSpec,
    InboundEvent,
    InboundRequest,
    MappedDelivery,
    MappingContext,
    PullBatch,
    Verification,
)
from hub.runtime import Runtime

SCRIPTS: dict[str, list[Any]] = {}  # script name → what successive pull() calls return or raise
CALLS: dict[str, list[str | None]] = {}  # script name → the bookmarks pull() was called with


class ProbeSettings(Schema):
    script = fields.String(required=True)
    poll_interval_s = fields.Integer(load_default=60)


class PullProbe:
    """A source that only polls: pull() plays its script; parse() reads back what the hub stored."""

    def __init__(self, settings: Mapping[str, Any]) -> None:
        self.script = settings["script"]

    def pull(self, bookmark: str | None, *, limit: int) -> PullBatch:
        CALLS.setdefault(self.script, []).append(bookmark)
        steps = SCRIPTS.get(self.script) or []
        step = steps.pop(0) if steps else PullBatch(items=[], next_bookmark=bookmark, has_more=False)
        if callable(step) and not isinstance(step, PullBatch):
            step = step()
        if isinstance(step, BaseException):
            raise step
        return step

    def verify(self, request: InboundRequest) -> Verification:
        return Verification(ok=False, reason="polled only")

    def parse(self, request: InboundRequest) -> list[InboundEvent]:
        order = json.loads(request.body)
        stamp = datetime.fromisoformat(order["updated_at"]).replace(tzinfo=timezone.utc)
        return [InboundEvent(kind="order.upsert", external_id=str(order["id"]), payload=order, topic="pulled", occurred_at=stamp)]

    def to_delivery(self, raw: Mapping[str, Any], ctx: MappingContext) -> MappedDelivery:
        return MappedDelivery.skipped("probe orders are not deliveries")


SPEC = ConnectorSpec(id="pull_probe", label="Pull probe", kind="source", version="0", settings_schema=ProbeSettings,
                     capabilities=frozenset({PULL_ORDERS, RECEIVE_WEBHOOK, MAP_DELIVERY}), factory=PullProbe)


def order(n: int, updated_at: str = "2024-05-01T10:00:00") -> dict[str, Any]:
    return {"id": n, "updated_at": updated_at}


def batch(*ids: int, bookmark: str, more: bool = False) -> PullBatch:
    return PullBatch(items=[order(i) for i in ids], next_bookmark=bookmark, has_more=more)


def http_error(status: int, headers: dict[str, str] | None = None) -> requests.HTTPError:
    response = requests.Response()
    response.status_code, response.headers = status, CaseInsensitiveDict(headers or {})
    return requests.HTTPError(f"{status} from the store", response=response)


@pytest.fixture
def install(clean: Runtime, tenant: dict[str, Any]) -> Any:
    clean.registry.register(SPEC)

    def make(script: list[Any], *, name: str | None = None, status: str = "active", connector: str = "pull_probe") -> str:
        key = name or f"s{len(SCRIPTS)}-{id(script)}"
        SCRIPTS[key], CALLS[key] = script, []
        with transaction(clean.sessions) as session:
            row, _ = create_installation(session, clean.registry, session.get(Tenant, tenant["id"]), "pull_probe", {"script": key})
            row.status = status
            return row.id
    return make


def installation(runtime: Runtime, installation_id: str) -> Installation:
    with runtime.sessions() as session:
        return session.get(Installation, installation_id)


def scheduled(runtime: Runtime) -> list[str]:
    """Keys of the polls waiting in the work ledger (one "poll" row per installation at most)."""
    with runtime.sessions() as session:
        return list(session.execute(select(OutboxItem.dedupe_key).where(
            OutboxItem.kind == polling.POLL_KIND, OutboxItem.state == "pending")).scalars())


def next_poll_due(runtime: Runtime, installation_id: str) -> datetime:
    with runtime.sessions() as session:
        return session.execute(select(OutboxItem.due_at).where(
            OutboxItem.dedupe_key == polling.poll_job_id(installation_id), OutboxItem.state == "pending")).scalar_one()


def script_of(runtime: Runtime, installation_id: str) -> str:
    return installation(runtime, installation_id).settings["script"]


def test_pages_are_stored_with_their_bookmark_and_the_next_poll_is_scheduled(clean: Runtime, install: Any) -> None:
    ins = install([batch(1, 2, bookmark="b2", more=True), batch(2, 3, bookmark="b3")])
    result = pull.poll_installation(ins)
    assert (result["state"], result["pages"], result["stored"], result["bookmark"]) == ("polled", 2, 3, "b3")
    assert CALLS[script_of(clean, ins)] == [None, "b2"]
    assert installation(clean, ins).bookmark == "b3"
    with clean.sessions() as session:
        items = session.execute(select(InboxItem).order_by(InboxItem.id)).scalars().all()
    assert [i.dedupe_key for i in items] == ["1:2024-05-01T10:00:00+00:00", "2:2024-05-01T10:00:00+00:00",
                                            "3:2024-05-01T10:00:00+00:00"]
    assert all(["X-Hub-Pulled", "1"] in i.headers and i.installation_id == ins for i in items)
    assert scheduled(clean) == [polling.poll_job_id(ins)]
    assert installation(clean, ins).state["poll"]["ok"] is True


def test_the_same_version_pulled_again_is_a_no_op(clean: Runtime, install: Any) -> None:
    ins = install([batch(1, bookmark="b1"), batch(1, bookmark="b1")])
    assert pull.poll_installation(ins)["stored"] == 1
    again = pull.poll_installation(ins)
    assert (again["stored"], again["duplicates"]) == (0, 1)


def test_a_run_is_bounded_and_the_backlog_continues_at_once(clean: Runtime, install: Any) -> None:
    pages = [batch(n, bookmark=f"b{n}", more=True) for n in range(1, 20)]
    ins = install(pages)
    result = pull.poll_installation(ins)
    assert (result["pages"], result["more"]) == (pull.MAX_PAGES_PER_RUN, True)
    assert installation(clean, ins).bookmark == f"b{pull.MAX_PAGES_PER_RUN}"
    assert next_poll_due(clean, ins) <= datetime.now(timezone.utc) + timedelta(seconds=pull.CATCH_UP_DELAY_S + 1)


@pytest.mark.parametrize("status", [401, 403])
def test_refused_credentials_pause_the_installation(clean: Runtime, install: Any, status: int) -> None:
    ins = install([batch(1, bookmark="b1", more=True), http_error(status)])
    result = pull.poll_installation(ins)
    assert result["state"] == "paused"
    row = installation(clean, ins)
    assert (row.status, row.bookmark) == ("paused", "b1")  # the stored page kept its bookmark
    assert str(status) in row.paused_reason
    assert scheduled(clean) == []
    assert pull.poll_installation(ins)["state"] == "paused"  # a paused installation is not polled


def test_429_retries_after_retry_after_without_moving_the_bookmark(clean: Runtime, install: Any) -> None:
    ins = install([http_error(429, {"Retry-After": "600"}), batch(1, bookmark="b1")])
    result = pull.poll_installation(ins)
    assert (result["state"], result["retry_in_s"], result["error_kind"]) == ("retrying", 600.0, "transient")
    assert installation(clean, ins).bookmark is None
    assert scheduled(clean) == [polling.poll_job_id(ins)]
    assert pull.poll_installation(ins)["state"] == "polled"
    assert installation(clean, ins).state["poll"]["failures"] == 0


def test_5xx_and_timeouts_back_off_and_keep_polling(clean: Runtime, install: Any) -> None:
    ins = install([http_error(500), requests.Timeout("read timed out"), requests.ConnectionError("refused")])
    delays = [pull.poll_installation(ins)["retry_in_s"] for _ in range(3)]
    assert delays == [60.0, 120.0, 240.0]
    row = installation(clean, ins)
    assert (row.status, row.bookmark, row.state["poll"]["failures"]) == ("active", None, 3)


def test_a_run_that_lost_the_race_leaves_the_bookmark_to_the_winner(clean: Runtime, install: Any) -> None:
    def moved_meanwhile() -> PullBatch:
        with transaction(clean.sessions) as session:
            session.get(Installation, ins).bookmark = "b-other-run"
        return batch(1, bookmark="b1")
    ins = install([moved_meanwhile])
    assert pull.poll_installation(ins)["state"] == "superseded"
    assert installation(clean, ins).bookmark == "b-other-run"
    with clean.sessions() as session:
        assert session.execute(select(InboxItem)).first() is None


def test_schedule_all_polls_starts_each_active_pulling_installation_once(clean: Runtime, install: Any) -> None:
    active = install([])
    install([], status="paused")
    assert polling.schedule_all_polls(clean) == [active]
    polling.schedule_all_polls(clean)  # a second worker starting: nothing doubles
    assert scheduled(clean) == [polling.poll_job_id(active)]


def test_the_poll_chain_survives_the_worker_and_runs_again(clean: Runtime, install: Any, run_jobs: Any) -> None:
    ins = install([batch(1, bookmark="b1"), batch(2, bookmark="b2")])
    polling.schedule_all_polls(clean)
    run_jobs()  # the hub's runner claims the poll row, which schedules its next run
    job_id = polling.poll_job_id(ins)
    assert scheduled(clean) == [job_id]
    assert next_poll_due(clean, ins) > datetime.now(timezone.utc)  # not before its interval
    clean.redis.flushdb()  # Redis forgets everything: the next poll is a row, so nothing is lost
    with transaction(clean.sessions) as session:
        session.execute(update(OutboxItem).where(OutboxItem.dedupe_key == job_id)
                        .values(due_at=datetime.now(timezone.utc) - timedelta(seconds=1)))
    run_jobs()
    assert CALLS[script_of(clean, ins)] == [None, "b1"]
    assert installation(clean, ins).bookmark == "b2" and scheduled(clean) == [job_id]
