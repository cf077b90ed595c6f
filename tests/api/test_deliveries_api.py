"""The deliveries API: create (idempotent), validation errors with paths, list, history, cancel."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import func, select

from hub.db.models import Delivery, DeliveryEvent, InboxItem
from hub.paths import SCHEMAS_DIR


def example_input(external_id: str = "ORD-1") -> dict[str, Any]:
    doc = json.loads((SCHEMAS_DIR / "examples" / "delivery_input.v1.json").read_text())
    doc["source"]["external_id"] = external_id
    return doc


def test_create_answers_an_id_that_exists_at_once(client, tenant, run_jobs, clean):
    response = client.post("/api/v1/deliveries", json=example_input(), headers=tenant["headers"])
    assert response.status_code == 202, response.json
    delivery_id = response.json["id"]
    got = client.get(f"/api/v1/deliveries/{delivery_id}", headers=tenant["headers"])  # before any job ran
    assert got.status_code == 200
    assert got.json["status"] == "received" and got.json["version"] == 1
    assert got.json["source"] == {**example_input()["source"], "connector": "api"}
    events = client.get(f"/api/v1/deliveries/{delivery_id}/events", headers=tenant["headers"]).json["items"]
    assert [e["type"] for e in events] == ["delivery.created"]
    assert events[0]["prev_hash"] == "0" * 64


def test_idempotency_key_replays_the_first_answer(client, tenant, run_jobs, clean):
    headers = {**tenant["headers"], "Idempotency-Key": "abc-123"}
    first = client.post("/api/v1/deliveries", json=example_input(), headers=headers)
    second = client.post("/api/v1/deliveries", json=example_input(), headers=headers)
    assert first.status_code == second.status_code == 202
    assert first.json == second.json and second.headers["Idempotent-Replayed"] == "true"
    other = client.post("/api/v1/deliveries", json=example_input("ORD-2"), headers=headers)
    assert other.status_code == 422 and other.json["error"]["code"] == "idempotency_key_reused"
    run_jobs()
    with clean.sessions() as session:
        assert session.scalar(select(func.count()).select_from(Delivery)) == 1
        assert session.scalar(select(func.count()).select_from(InboxItem)) == 1


def test_same_external_id_updates_the_delivery(client, tenant, run_jobs, clean):
    client.post("/api/v1/deliveries", json=example_input(), headers=tenant["headers"])
    run_jobs()
    changed = example_input()
    changed["notes"] = "Leave at the back door"
    client.post("/api/v1/deliveries", json=changed, headers=tenant["headers"])
    run_jobs()
    items = client.get("/api/v1/deliveries?external_id=ORD-1", headers=tenant["headers"]).json["items"]
    assert len(items) == 1 and items[0]["notes"] == "Leave at the back door" and items[0]["version"] == 2
    events = client.get(f"/api/v1/deliveries/{items[0]['id']}/events", headers=tenant["headers"]).json["items"]
    assert [e["type"] for e in events] == ["delivery.created", "delivery.updated"]
    assert events[1]["data"]["changed"] == ["notes"]
    assert events[1]["prev_hash"] == events[0]["hash"]


def test_missing_required_field_is_422_naming_it_and_stores_nothing(client, tenant, clean):
    doc = example_input()
    del doc["dropoff"]["address"]["line1"]
    response = client.post("/api/v1/deliveries", json=doc, headers=tenant["headers"])
    assert response.status_code == 422
    assert response.json["error"]["code"] == "validation_failed"
    assert "$.dropoff.address.line1" in [d["path"] for d in response.json["error"]["details"]]
    with clean.sessions() as session:
        assert session.scalar(select(func.count()).select_from(InboxItem)) == 0


def test_malformed_json_is_400(client, tenant):
    response = client.post("/api/v1/deliveries", data=b'{"source": ', headers={**tenant["headers"],
                           "Content-Type": "application/json"})
    assert response.status_code == 400 and response.json["error"]["code"] == "malformed_json"


def test_keys_are_checked_and_tenants_are_isolated(client, tenant, run_jobs, app):
    assert client.get("/api/v1/deliveries").status_code == 401
    assert client.get("/api/v1/deliveries", headers={"Authorization": "Bearer nope"}).status_code == 401
    delivery_id = client.post("/api/v1/deliveries", json=example_input(), headers=tenant["headers"]).json["id"]
    run_jobs()
    from hub.db.engine import transaction
    from hub.ledger.tenants import create_tenant, issue_key
    from hub.runtime import get_runtime

    with transaction(get_runtime().sessions) as session:
        _, other_key = issue_key(session, create_tenant(session, "other"), "admin")
    other = {"Authorization": f"Bearer {other_key}"}
    assert client.get(f"/api/v1/deliveries/{delivery_id}", headers=other).status_code == 404
    assert client.get("/api/v1/deliveries", headers=other).json["items"] == []
    assert client.post(f"/api/v1/deliveries/{delivery_id}/cancel", headers=other).status_code == 404


def test_list_filters_and_cursor_pagination(client, tenant, run_jobs):
    for n in range(5):
        client.post("/api/v1/deliveries", json=example_input(f"ORD-{n}"), headers=tenant["headers"])
    run_jobs()
    seen: list[str] = []
    url = "/api/v1/deliveries?limit=2"
    while url:
        page = client.get(url, headers=tenant["headers"]).json
        seen += [d["source"]["external_id"] for d in page["items"]]
        url = f"/api/v1/deliveries?limit=2&cursor={page['next_cursor']}" if page["next_cursor"] else ""
    assert sorted(seen) == [f"ORD-{n}" for n in range(5)] and len(set(seen)) == 5
    assert len(client.get("/api/v1/deliveries?status=received&source=api", headers=tenant["headers"]).json["items"]) == 5
    assert client.get("/api/v1/deliveries?status=flying", headers=tenant["headers"]).status_code == 400
    assert client.get("/api/v1/deliveries?created_after=2020-01-01T00:00:00Z", headers=tenant["headers"]).json["items"]
    assert client.get("/api/v1/deliveries?created_before=2020-01-01T00:00:00Z", headers=tenant["headers"]).json["items"] == []
    bad = client.get("/api/v1/deliveries?created_after=yesterday", headers=tenant["headers"])
    assert bad.status_code == 400 and bad.json["error"]["details"][0]["path"] == "query.created_after"


def test_cancel_and_impossible_transition(client, tenant, run_jobs, clean):
    delivery_id = client.post("/api/v1/deliveries", json=example_input(), headers=tenant["headers"]).json["id"]
    run_jobs()
    cancelled = client.post(f"/api/v1/deliveries/{delivery_id}/cancel", json={"reason": "customer changed mind"},
                            headers=tenant["headers"])
    assert cancelled.status_code == 200 and cancelled.json["status"] == "cancelled"
    again = client.post(f"/api/v1/deliveries/{delivery_id}/cancel", headers=tenant["headers"])
    assert again.status_code == 200  # cancelling twice is a no-op
    with clean.sessions() as session:
        types = session.execute(select(DeliveryEvent.type).where(DeliveryEvent.delivery_id == delivery_id)
                                .order_by(DeliveryEvent.sequence)).scalars().all()
    assert types == ["delivery.created", "delivery.status_changed"]


def test_openapi_document_and_health(client):
    spec = client.get("/api/openapi.json").json
    assert spec["openapi"].startswith("3.1")
    assert "/api/v1/deliveries" in spec["paths"] and "/hooks/{installation_id}" in spec["paths"]
    health = client.get("/healthz")
    assert health.status_code == 200 and health.json["database"]["ok"] and health.json["redis"]["ok"]
