"""Webhooks that carry only an order's id (hub/jobs/fetch.py), end to end: the webhook is verified and stored,
ingest schedules a "fetch" work row, the row reads the order from the store (a local HTTP server) through the
connector's ``fetch_order`` outside any transaction, and the order is ingested as a full webhook would be.
Transient store errors retry with the ingest policy's backoff; permanent ones end the row with the reason."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import pytest
from pytest_httpserver import HTTPServer
from sqlalchemy import select, update
from werkzeug import Request, Response

from hub.db.engine import transaction
from hub.db.models import Delivery, InboxItem, Installation, OutboxItem
from hub.plugins import MAP_DELIVERY, RECEIVE_WEBHOOK
from hub.runtime import Runtime
from tests.plugins.tokenstore import CONNECTOR, TOKEN_HEADER

WEBHOOK_TOKEN = "store-hook-token-0123456789"
# The order as the store's API returns it: the golden case the contract kit maps (tests/plugins/tokenstore).
ORDER = json.loads((Path(__file__).parents[1] / "plugins" / "tokenstore" / "payloads" / "golden" /
                    "order_1001.input.json").read_text(encoding="utf-8"))


@pytest.fixture
def installation(clean: Runtime, client: Any, tenant: dict[str, Any], httpserver: HTTPServer) -> str:
    clean.registry.register(CONNECTOR)
    response = client.post("/api/v1/installations", headers=tenant["headers"], json={
        "connector": "tokenstore", "register_webhooks": False,
        "settings": {"store_url": httpserver.url_for("/"), "api_token": "store-api-token", "webhook_token": WEBHOOK_TOKEN}})
    assert response.status_code == 201, response.json
    return response.json["id"]


def post_hook(client: Any, installation: str, order_id: int, hook_id: str, token: str = WEBHOOK_TOKEN) -> int:
    body = json.dumps({"scope": "store/order/created", "data": {"type": "order", "id": order_id}})
    return client.post(f"/hooks/{installation}", data=body, headers={
        "Content-Type": "application/json", TOKEN_HEADER: token, "X-Store-Hook-Id": hook_id}).status_code


def deliveries(runtime: Runtime) -> list[Delivery]:
    with runtime.sessions() as session:
        return list(session.execute(select(Delivery)).scalars())


def fetch_rows(runtime: Runtime) -> list[OutboxItem]:
    with runtime.sessions() as session:
        return list(session.execute(select(OutboxItem).where(OutboxItem.kind == "fetch")).scalars())


def inbox_item(runtime: Runtime) -> InboxItem:
    with runtime.sessions() as session:
        return session.execute(select(InboxItem)).scalar_one()


def test_an_id_only_webhook_becomes_a_delivery_fetched_outside_any_transaction(
        clean: Runtime, client: Any, installation: str, httpserver: HTTPServer, run_jobs: Any) -> None:
    def answer(request: Request) -> Response:
        assert request.headers["X-Auth-Token"] == "store-api-token"
        # The database is free while the store answers: another writer gets through at once (on SQLite a
        # fetch inside the ingest transaction would hold the write lock and this would wait).
        with transaction(clean.sessions) as session:
            session.execute(update(Installation).where(Installation.id == installation).values(label="written meanwhile"))
        return Response(json.dumps(ORDER), content_type="application/json")

    httpserver.expect_oneshot_request("/orders/1001", method="GET").respond_with_handler(answer)
    assert post_hook(client, installation, 1001, "hook-1") == 200
    run_jobs()
    (delivery,) = deliveries(clean)
    assert (delivery.external_id, delivery.installation_id) == ("1001", installation)
    assert delivery.document["dropoff"]["address"]["line1"] == "Torstraße 109"
    assert "contact_phone_missing" in [f["code"] for f in delivery.document["data_quality_flags"]]
    (row,) = fetch_rows(clean)
    assert (row.state, row.attempts, row.payload["external_id"]) == ("done", 1, "1001")
    item = inbox_item(clean)
    assert item.state == "processed" and item.outcome["fetched"]["delivery_id"] == delivery.id
    httpserver.check_assertions()


def test_a_wrong_or_missing_token_is_refused_and_nothing_is_fetched(
        clean: Runtime, client: Any, installation: str, httpserver: HTTPServer, run_jobs: Any) -> None:
    assert post_hook(client, installation, 1001, "hook-2", token="not-the-token-000000") == 401
    assert post_hook(client, installation, 1001, "hook-3", token="") == 401
    run_jobs()
    assert fetch_rows(clean) == [] and deliveries(clean) == [] and httpserver.log == []


def test_a_store_that_is_down_is_tried_again_with_backoff(
        clean: Runtime, client: Any, installation: str, httpserver: HTTPServer, run_jobs: Any, fast_forward: Any) -> None:
    httpserver.expect_ordered_request("/orders/1001").respond_with_data("busy", status=503)
    httpserver.expect_ordered_request("/orders/1001").respond_with_json(ORDER)
    post_hook(client, installation, 1001, "hook-4")
    run_jobs()
    (row,) = fetch_rows(clean)
    assert (row.state, row.attempts) == ("pending", 1) and "503" in row.last_error
    assert row.due_at > row.created_at and deliveries(clean) == []  # waits the ingest policy's first interval
    fast_forward()
    (row,) = fetch_rows(clean)
    assert (row.state, row.attempts) == ("done", 2)
    assert [d.external_id for d in deliveries(clean)] == ["1001"]


def test_a_refused_fetch_ends_at_once_with_its_reason(
        clean: Runtime, client: Any, installation: str, httpserver: HTTPServer, run_jobs: Any) -> None:
    httpserver.expect_oneshot_request("/orders/1002").respond_with_data("bad id", status=400)
    post_hook(client, installation, 1002, "hook-5")
    run_jobs()
    (row,) = fetch_rows(clean)
    assert (row.state, row.attempts) == ("dead", 1) and "400" in row.last_error
    item = inbox_item(clean)
    assert item.state == "failed" and "fetching order '1002' failed" in item.outcome["reason"]
    assert deliveries(clean) == []


def test_a_rejected_token_pauses_the_installation(
        clean: Runtime, client: Any, installation: str, httpserver: HTTPServer, run_jobs: Any) -> None:
    httpserver.expect_oneshot_request("/orders/1003").respond_with_data("no", status=401)
    post_hook(client, installation, 1003, "hook-6")
    run_jobs()
    (row,) = fetch_rows(clean)
    assert row.state == "dead"
    with clean.sessions() as session:
        paused = session.get(Installation, installation)
        assert paused.status == "paused" and "401" in paused.paused_reason


def test_an_order_the_store_no_longer_has_cancels_its_delivery(
        clean: Runtime, client: Any, installation: str, httpserver: HTTPServer, run_jobs: Any) -> None:
    httpserver.expect_ordered_request("/orders/1001").respond_with_json(ORDER)
    httpserver.expect_ordered_request("/orders/1001").respond_with_data("gone", status=404)
    post_hook(client, installation, 1001, "hook-7")
    run_jobs()
    post_hook(client, installation, 1001, "hook-8")
    run_jobs()
    (delivery,) = deliveries(clean)
    assert delivery.status == "cancelled"
    assert [r.state for r in fetch_rows(clean)] == ["done", "done"]


def test_a_fetch_event_from_a_connector_without_fetch_order_fails_the_item_with_the_reason(
        clean: Runtime, client: Any, tenant: dict[str, Any], httpserver: HTTPServer, run_jobs: Any) -> None:
    clean.registry.register(dataclasses.replace(CONNECTOR, id="nofetch", capabilities=frozenset({
        RECEIVE_WEBHOOK, MAP_DELIVERY})))
    installation = client.post("/api/v1/installations", headers=tenant["headers"], json={
        "connector": "nofetch", "register_webhooks": False,
        "settings": {"store_url": httpserver.url_for("/"), "api_token": "t", "webhook_token": WEBHOOK_TOKEN}}).json["id"]
    post_hook(client, installation, 1001, "hook-9")
    run_jobs()
    item = inbox_item(clean)
    assert item.state == "failed" and "does not implement 'fetch_order'" in item.outcome["reason"]
    assert fetch_rows(clean) == [] and httpserver.log == []


def test_a_store_that_asks_to_wait_is_not_asked_again_sooner(
        clean: Runtime, client: Any, installation: str, httpserver: HTTPServer, run_jobs: Any) -> None:
    httpserver.expect_oneshot_request("/orders/1001").respond_with_data("slow down", status=429,
                                                                         headers={"Retry-After": "300"})
    post_hook(client, installation, 1001, "hook-10")
    run_jobs()
    (row,) = fetch_rows(clean)
    assert row.state == "pending" and "429" in row.last_error
    assert (row.due_at - row.created_at).total_seconds() >= 300  # not the policy's first 2 s
