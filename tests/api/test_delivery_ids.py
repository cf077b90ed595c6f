"""An id the hub handed out is never unknown: a delivery posted to the API exists when the answer leaves."""

from __future__ import annotations

from sqlalchemy import func, select

from hub.db.models import InboxItem, OutboxItem
from tests.api.test_deliveries_api import example_input


def test_a_cancel_right_after_create_finds_the_delivery(client, tenant, run_jobs, clean):
    created = client.post("/api/v1/deliveries", json=example_input("NOW-1"), headers=tenant["headers"])
    assert created.status_code == 202 and created.json["created"] is True
    delivery_id = created.json["id"]
    cancelled = client.post(f"/api/v1/deliveries/{delivery_id}/cancel", json={"reason": "changed my mind"},
                            headers=tenant["headers"])  # no job has run
    assert cancelled.status_code == 200, cancelled.json
    assert cancelled.json["status"] == "cancelled"
    run_jobs()  # the work that follows the events runs; nothing brings the delivery back
    got = client.get(f"/api/v1/deliveries/{delivery_id}", headers=tenant["headers"]).json
    assert got["status"] == "cancelled"
    events = client.get(f"/api/v1/deliveries/{delivery_id}/events", headers=tenant["headers"]).json["items"]
    assert [e["type"] for e in events] == ["delivery.created", "delivery.status_changed"]


def test_the_request_is_kept_in_the_inbox_and_no_ingest_job_is_left_behind(client, tenant, clean):
    created = client.post("/api/v1/deliveries", json=example_input("NOW-2"), headers=tenant["headers"]).json
    with clean.sessions() as session:
        item = session.execute(select(InboxItem)).scalar_one()
        assert item.state == "processed" and item.outcome["delivery_id"] == created["id"]
        assert session.scalar(select(func.count()).select_from(OutboxItem).where(OutboxItem.kind == "ingest")) == 0


def test_posting_the_same_external_id_again_answers_the_existing_id(client, tenant, clean):
    first = client.post("/api/v1/deliveries", json=example_input("SAME"), headers=tenant["headers"]).json
    update = {**example_input("SAME"), "notes": "ring twice"}
    second = client.post("/api/v1/deliveries", json=update, headers=tenant["headers"]).json
    assert second["id"] == first["id"] and second["created"] is False
    got = client.get(f"/api/v1/deliveries/{first['id']}", headers=tenant["headers"]).json
    assert got["notes"] == "ring twice"
    inbox = client.get("/api/v1/inbox", headers=tenant["headers"]).json["items"]
    assert [(i["source"], i["state"], i["delivery_id"]) for i in inbox] == [("api", "processed", first["id"])] * 2


def test_idempotency_key_still_replays_the_first_answer_with_one_delivery(client, tenant, clean):
    headers = {**tenant["headers"], "Idempotency-Key": "k-1"}
    first = client.post("/api/v1/deliveries", json=example_input("IDEM"), headers=headers)
    second = client.post("/api/v1/deliveries", json=example_input("IDEM"), headers=headers)
    assert first.json == second.json and second.headers["Idempotent-Replayed"] == "true"
    assert len(client.get("/api/v1/deliveries", headers=tenant["headers"]).json["items"]) == 1
