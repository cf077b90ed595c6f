"""Webhooks end to end: deliveries posted to the API reach a real receiver, signed, in order, exactly
once per webhook-id, through outages, with the hub's own jobs and sweeper driving every retry."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

from sqlalchemy import select

from hub.canonical import validate_document
from hub.db.models import OutboxItem
from hub.db.models.webhooks import WebhookAttempt, WebhookDelivery
from hub.paths import SCHEMAS_DIR


def order(external_id: str = "ORD-1", notes: str | None = None) -> dict[str, Any]:
    doc = json.loads((SCHEMAS_DIR / "examples" / "delivery_input.v1.json").read_text())
    doc["source"]["external_id"] = external_id
    if notes:
        doc["notes"] = notes
    return doc


def post(client, tenant, doc) -> str:  # type: ignore[no-untyped-def]
    response = client.post("/api/v1/deliveries", json=doc, headers=tenant["headers"])
    assert response.status_code == 202, response.json
    return response.json["id"]


def test_created_delivery_reaches_the_receiver_signed(client, tenant, run_jobs, receiver, subscribe):
    sub = subscribe(receiver.url)
    receiver.secrets = [sub["secret"]]
    assert sub["secret"].startswith("whsec_") and len(sub["secret"]) >= 6 + 32
    delivery_id = post(client, tenant, order())
    run_jobs()
    [got] = receiver.received
    assert got.answered == 200 and got.verified_with == [sub["secret"]]
    payload = got.payload
    assert validate_document("events/webhook.v1", payload) == []
    assert payload["type"] == "delivery.created" and payload["data"]["sequence"] == 1
    assert payload["data"]["event"]["delivery_id"] == delivery_id
    assert got.webhook_id.startswith("msg_") and got.headers["content-type"] == "application/json"
    log = client.get(f"/api/v1/subscriptions/{sub['id']}/deliveries", headers=tenant["headers"]).json["items"]
    assert [(d["webhook_id"], d["state"], d["event_type"]) for d in log] == [(got.webhook_id, "succeeded", "delivery.created")]
    [attempt] = log[0]["attempts"]
    assert attempt["status_code"] == 200 and attempt["outcome"] == "ok" and attempt["duration_ms"] >= 0
    assert json.loads(attempt["response_body"]) == {"status": 200}


def test_running_jobs_again_sends_nothing_twice(client, tenant, run_jobs, receiver, subscribe, fast_forward, clean):
    subscribe(receiver.url)
    post(client, tenant, order())
    run_jobs()
    fast_forward()
    run_jobs()
    assert len(receiver.received) == 1
    with clean.sessions() as session:  # nothing left open for the sweeper
        assert session.execute(select(OutboxItem).where(OutboxItem.processed_at.is_(None))).first() is None


def test_receiver_down_then_up_gets_each_event_once_in_order(client, tenant, run_jobs, receiver, subscribe,
                                                             fast_forward, clean):
    sub = subscribe(receiver.url)
    receiver.secrets = [sub["secret"]]
    receiver.default = (503, {})
    first = post(client, tenant, order("A"))
    run_jobs()
    post(client, tenant, order("A", notes="Ring twice"))  # delivery.updated, sequence 2, waits for 1
    second = post(client, tenant, order("B"))
    run_jobs()
    assert client.post(f"/api/v1/deliveries/{first}/cancel", headers=tenant["headers"]).status_code == 200
    run_jobs()
    fast_forward()  # still down: a second failed try each for the heads of the line
    sent = Counter(r.webhook_id for r in receiver.received)
    assert len(sent) == 2 and set(sent.values()) == {2}  # only A#1 and B#1 were tried; A#2, A#3 waited
    receiver.default = (200, {})
    fast_forward()
    fast_forward()
    accepted = receiver.accepted()
    assert Counter(r.webhook_id for r in accepted).most_common(1)[0][1] == 1  # once per webhook-id
    by_delivery: dict[str, list[tuple[int, str]]] = {}
    for r in accepted:
        event = r.payload["data"]["event"]
        by_delivery.setdefault(event["delivery_id"], []).append((event["sequence"], event["type"]))
    assert [s for s, _ in by_delivery[first]] == sorted(s for s, _ in by_delivery[first])
    assert [t for _, t in by_delivery[first]] == ["delivery.created", "delivery.updated", "delivery.status_changed"]
    assert [t for _, t in by_delivery[second]] == ["delivery.created"]
    with clean.sessions() as session:
        rows = session.execute(select(WebhookDelivery)).scalars().all()
        assert {r.state for r in rows} == {"succeeded"}
        assert max(r.attempts for r in rows) == 3
    dead = client.get(f"/api/v1/subscriptions/{sub['id']}/deliveries?state=dead", headers=tenant["headers"]).json
    assert dead["items"] == []


def test_410_disables_the_subscription_and_says_why(client, tenant, run_jobs, receiver, subscribe):
    sub = subscribe(receiver.url)
    receiver.default = (410, {})
    post(client, tenant, order())
    run_jobs()
    got = client.get(f"/api/v1/subscriptions/{sub['id']}", headers=tenant["headers"]).json
    assert got["enabled"] is False and "410" in got["disabled_reason"]
    post(client, tenant, order("ORD-2"))
    run_jobs()
    assert len(receiver.received) == 1  # a disabled subscription gets nothing new
    [dead] = client.get(f"/api/v1/subscriptions/{sub['id']}/deliveries?state=dead", headers=tenant["headers"]).json["items"]
    assert dead["last_status_code"] == 410 and dead["attempts"][0]["outcome"] == "disable"


def test_400_gives_up_at_once_and_lands_in_dead_letters(client, tenant, run_jobs, receiver, subscribe, fast_forward):
    sub = subscribe(receiver.url)
    receiver.default = (400, {})
    post(client, tenant, order())
    run_jobs()
    fast_forward()
    assert len(receiver.received) == 1
    [dead] = client.get(f"/api/v1/subscriptions/{sub['id']}/deliveries?state=dead", headers=tenant["headers"]).json["items"]
    assert dead["state"] == "dead" and dead["last_status_code"] == 400 and "400" in dead["last_error"]
    assert client.get(f"/api/v1/subscriptions/{sub['id']}", headers=tenant["headers"]).json["enabled"] is True


def test_retry_after_is_honoured(client, tenant, run_jobs, receiver, subscribe, clean):
    subscribe(receiver.url)
    receiver.answers = [(429, {"Retry-After": "3600"})]
    post(client, tenant, order())
    run_jobs()
    with clean.sessions() as session:
        row = session.execute(select(WebhookDelivery)).scalar_one()
        attempt = session.execute(select(WebhookAttempt)).scalar_one()
        item = session.get(OutboxItem, row.outbox_id)
        wait = (row.next_attempt_at - attempt.attempted_at).total_seconds()
        assert row.state == "retrying" and wait == 3600
        assert item.state == "pending"  # the database holds the retry, not RQ's scheduler
        assert abs((item.due_at - row.next_attempt_at).total_seconds()) < 60


def test_rotation_sends_both_signatures_and_each_verifies(client, tenant, run_jobs, receiver, subscribe):
    sub = subscribe(receiver.url)
    rotated = client.post(f"/api/v1/subscriptions/{sub['id']}/rotate-secret", headers=tenant["headers"])
    assert rotated.status_code == 200 and rotated.json["secret"] != sub["secret"]
    assert rotated.json["previous_secret_expires_at"]
    receiver.secrets = [sub["secret"], rotated.json["secret"]]
    post(client, tenant, order())
    run_jobs()
    [got] = receiver.received
    assert len(got.headers["webhook-signature"].split(" ")) == 2
    assert got.verified_with == [sub["secret"], rotated.json["secret"]]


def test_replay_one_event_and_everything_since_reuses_webhook_ids(client, tenant, run_jobs, receiver, subscribe):
    sub = subscribe(receiver.url)
    receiver.secrets = [sub["secret"]]
    delivery_id = post(client, tenant, order())
    run_jobs()
    post(client, tenant, order("ORD-2"))
    run_jobs()
    first, second = receiver.received
    event_id = first.payload["data"]["event"]["id"]
    url = f"/api/v1/subscriptions/{sub['id']}/replay"
    one = client.post(url, json={"event_id": event_id}, headers=tenant["headers"])
    assert one.status_code == 202 and one.json["webhook_ids"] == [first.webhook_id]
    run_jobs()
    assert receiver.received[-1].webhook_id == first.webhook_id and receiver.received[-1].body == first.body
    since = first.payload["data"]["event"]["recorded_at"]
    everything = client.post(url, json={"since": since}, headers=tenant["headers"])
    assert everything.status_code == 202 and everything.json["replayed"] == 2
    run_jobs()
    assert Counter(r.webhook_id for r in receiver.received) == {first.webhook_id: 3, second.webhook_id: 2}
    assert all(r.verified_with for r in receiver.received)
    bad = client.post(url, json={"event_id": "evt_nope"}, headers=tenant["headers"])
    assert bad.status_code == 404 and bad.json["error"]["details"][0]["path"] == "$.event_id"
    assert client.get(f"/api/v1/deliveries/{delivery_id}", headers=tenant["headers"]).status_code == 200


def test_only_matching_event_types_are_sent(client, tenant, run_jobs, receiver, subscribe):
    subscribe(receiver.url, ["delivery.status_changed"])
    delivery_id = post(client, tenant, order())
    run_jobs()
    assert receiver.received == []
    client.post(f"/api/v1/deliveries/{delivery_id}/cancel", headers=tenant["headers"])
    run_jobs()
    [got] = receiver.received
    assert got.payload["type"] == "delivery.status_changed" and got.payload["data"]["event"]["data"]["status"] == "cancelled"


def test_event_data_matches_its_type_schema(client, tenant, run_jobs, receiver, subscribe):
    subscribe(receiver.url)
    post(client, tenant, order())
    run_jobs()
    post(client, tenant, order(notes="Leave with the neighbour"))
    run_jobs()
    created, updated = (r.payload["data"]["event"] for r in receiver.accepted())
    assert (created["type"], updated["type"]) == ("delivery.created", "delivery.updated")
    assert validate_document("events/created.v1", created["data"]) == []
    assert validate_document("events/updated.v1", updated["data"]) == []


def test_long_answers_are_trimmed_and_redirects_not_followed(client, tenant, run_jobs, receiver, subscribe, httpserver):
    sub = subscribe(receiver.url)
    receiver.reply = b"x" * 50_000
    receiver.default = (500, {})
    post(client, tenant, order())
    run_jobs()
    log = client.get(f"/api/v1/subscriptions/{sub['id']}/deliveries", headers=tenant["headers"]).json["items"]
    assert log[0]["state"] == "retrying" and len(log[0]["attempts"][0]["response_body"]) == 2048
    elsewhere: list[bytes] = []
    httpserver.expect_request("/elsewhere").respond_with_handler(lambda r: elsewhere.append(r.get_data()) or "ok")
    moved = subscribe(receiver.url, ["delivery.created"])
    receiver.reply, receiver.default = b"", (307, {"Location": httpserver.url_for("/elsewhere")})
    post(client, tenant, order("ORD-2"))
    run_jobs()
    [dead] = client.get(f"/api/v1/subscriptions/{moved['id']}/deliveries?state=dead", headers=tenant["headers"]).json["items"]
    assert dead["last_status_code"] == 307 and "redirect" in dead["last_error"] and elsewhere == []
