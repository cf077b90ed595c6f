"""An id the hub handed out is never unknown: a delivery posted to the API exists when the answer leaves."""

from __future__ import annotations

import json
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from sqlalchemy import func, select

from hub.api.deliveries import MAX_IDEMPOTENCY_KEY
from hub.db.models import Delivery, InboxItem, OutboxItem
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


def test_two_requests_racing_with_one_idempotency_key_make_one_delivery_and_get_one_answer(app, tenant, clean):
    # The key is the inbox row's dedupe key: the second insert waits for the first request's commit, finds its row
    # and answers with it (before, it went on to write the key's own record and failed on its unique index: 500).
    headers = {**tenant["headers"], "Idempotency-Key": "race-1"}
    start = threading.Barrier(4)

    def post(_: int) -> Any:
        with app.test_client() as one:
            start.wait()
            return one.post("/api/v1/deliveries", json=example_input("RACE"), headers=headers)

    with ThreadPoolExecutor(4) as pool:
        answers = list(pool.map(post, range(4)))
    assert [a.status_code for a in answers] == [202] * 4, [a.json for a in answers]
    assert len({a.json["id"] for a in answers}) == 1
    assert sum(a.headers.get("Idempotent-Replayed") == "true" for a in answers) == 3
    with clean.sessions() as session:
        assert session.scalar(select(func.count()).select_from(Delivery)) == 1
        assert session.scalar(select(func.count()).select_from(InboxItem)) == 1


def test_an_idempotency_key_too_long_to_keep_is_refused_naming_the_header(client, tenant, clean):
    longest = client.post("/api/v1/deliveries", json=example_input("KEY-1"),
                          headers={**tenant["headers"], "Idempotency-Key": "k" * MAX_IDEMPOTENCY_KEY})
    assert longest.status_code == 202, longest.json
    refused = client.post("/api/v1/deliveries", json=example_input("KEY-2"),
                          headers={**tenant["headers"], "Idempotency-Key": "k" * (MAX_IDEMPOTENCY_KEY + 1)})
    assert refused.status_code == 400 and refused.json["error"]["code"] == "bad_idempotency_key"
    assert refused.json["error"]["details"][0]["path"] == "header.Idempotency-Key"
    assert str(MAX_IDEMPOTENCY_KEY) in refused.json["error"]["message"]
    with clean.sessions() as session:  # nothing of the refused one is kept
        assert session.scalar(select(func.count()).select_from(InboxItem)) == 1
    empty = client.post("/api/v1/deliveries", json=example_input("KEY-3"),
                        headers={**tenant["headers"], "Idempotency-Key": ""})
    assert empty.status_code == 202 and "Idempotent-Replayed" not in empty.headers  # an empty header is no key


def test_a_request_stored_but_never_processed_is_processed_by_its_repeat(client, tenant, clean):
    # An older hub stored a submission and left it to a job; the client's retry with the same key finds it
    # still pending: it is processed now, once, and answered as a first answer.
    from hub.canonical.ids import new_delivery_id
    from hub.db.engine import transaction
    from hub.intake.inbox import store

    raw = json.dumps(example_input("OLD-1")).encode()
    with transaction(clean.sessions) as session:
        store(session, tenant_id=tenant["id"], source_key=f"api:{tenant['id']}", dedupe_key="idem:old-1", body=raw,
              headers=[("Content-Type", "application/json")], path="/api/v1/deliveries",
              delivery_id=new_delivery_id(), schedule=False)
    headers = {**tenant["headers"], "Idempotency-Key": "old-1", "Content-Type": "application/json"}
    first = client.post("/api/v1/deliveries", data=raw, headers=headers)
    assert first.status_code == 202 and first.json["created"] is True and "Idempotent-Replayed" not in first.headers
    again = client.post("/api/v1/deliveries", data=raw, headers=headers)
    assert again.json == first.json and again.headers["Idempotent-Replayed"] == "true"
    with clean.sessions() as session:
        assert session.scalar(select(func.count()).select_from(Delivery)) == 1
        assert session.execute(select(InboxItem.state)).scalars().all() == ["processed"]
