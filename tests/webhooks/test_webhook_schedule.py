"""The delivery job driven with a fake clock: give up after a day, disable a dead endpoint after days,
refuse a target that turned private, fan-out that runs twice, and the ordering hand-off."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import timedelta

from sqlalchemy import select, update

from hub.db.engine import transaction
from hub.db.models import DeliveryEvent, utcnow
from hub.db.models.webhooks import WebhookDelivery, WebhookSubscription
from hub.ledger.subscribers import fan_out_event
from hub.paths import SCHEMAS_DIR
from hub.webhooks import classify as policy
from hub.webhooks.delivery import attempt


def post_order(client, tenant, external_id="ORD-1", notes=None) -> str:  # type: ignore[no-untyped-def]
    doc = json.loads((SCHEMAS_DIR / "examples" / "delivery_input.v1.json").read_text())
    doc["source"]["external_id"] = external_id
    if notes:
        doc["notes"] = notes
    return client.post("/api/v1/deliveries", json=doc, headers=tenant["headers"]).json["id"]


def rows(runtime) -> list[WebhookDelivery]:  # type: ignore[no-untyped-def]
    with runtime.sessions() as session:
        return list(session.execute(select(WebhookDelivery).order_by(WebhookDelivery.sequence)).scalars())


def test_gives_up_after_a_day_of_failures(client, tenant, run_jobs, receiver, subscribe, clean):
    sub = subscribe(receiver.url)
    receiver.default = (500, {})
    post_order(client, tenant)
    run_jobs()
    [row] = rows(clean)
    assert row.state == "retrying" and row.attempts == 1
    now = utcnow()
    for hours in (1, 6, 23):
        assert attempt(clean, row.id, now=now + timedelta(hours=hours)).state == "retrying"
    result = attempt(clean, row.id, now=now + timedelta(hours=24, seconds=1))
    assert result.state == "dead" and result.wait_s is None
    [row] = rows(clean)
    assert row.attempts == 5 and "gave up" in row.last_error
    log = client.get(f"/api/v1/subscriptions/{sub['id']}/deliveries?state=dead", headers=tenant["headers"]).json
    assert [a["status_code"] for a in log["items"][0]["attempts"]] == [500] * 5


def test_a_try_before_its_time_waits(client, tenant, run_jobs, receiver, subscribe, clean):
    subscribe(receiver.url)
    receiver.default = (503, {})
    post_order(client, tenant)
    run_jobs()
    [row] = rows(clean)
    early = attempt(clean, row.id, now=utcnow())
    assert early.state == "not_due" and 0 < early.wait_s <= policy.backoff_s(1, rand=lambda: 1.0)
    assert len(receiver.received) == 1


def test_an_endpoint_failing_for_days_is_disabled_with_a_reason(client, tenant, run_jobs, receiver, subscribe, clean):
    sub = subscribe(receiver.url)
    receiver.default = (503, {})
    post_order(client, tenant)
    post_order(client, tenant, "ORD-2")
    run_jobs()
    now = utcnow()
    with transaction(clean.sessions) as session:
        session.execute(update(WebhookSubscription).values(
            consecutive_failures=policy.DISABLE_AFTER_FAILURES, failing_since=now - timedelta(days=3, hours=1)))
    first, second = rows(clean)
    assert attempt(clean, first.id, now=now + timedelta(minutes=5)).state == "dead"
    shown = client.get(f"/api/v1/subscriptions/{sub['id']}", headers=tenant["headers"]).json
    assert shown["enabled"] is False and "failed for 3 days" in shown["disabled_reason"]
    assert {r.state for r in rows(clean)} == {"dead"}  # the other open delivery closes too, for a replay later
    assert "disabled" in rows(clean)[1].last_error
    replay = client.post(f"/api/v1/subscriptions/{sub['id']}/replay", json={"since": "2026-01-01T00:00:00Z"},
                         headers=tenant["headers"])
    assert replay.status_code == 409


def test_a_success_resets_the_failure_count(client, tenant, run_jobs, receiver, subscribe, clean):
    subscribe(receiver.url)
    receiver.answers = [(503, {})]
    post_order(client, tenant)
    run_jobs()
    with clean.sessions() as session:
        assert session.execute(select(WebhookSubscription)).scalar_one().consecutive_failures == 1
    [row] = rows(clean)
    assert attempt(clean, row.id, now=utcnow() + timedelta(hours=1)).state == "succeeded"
    with clean.sessions() as session:
        sub = session.execute(select(WebhookSubscription)).scalar_one()
        assert sub.consecutive_failures == 0 and sub.failing_since is None


def test_a_target_that_turns_private_is_refused_at_send_time(client, tenant, run_jobs, receiver, subscribe, clean,
                                                             monkeypatch):
    subscribe(receiver.url)  # allowed while the config allows private targets
    monkeypatch.setattr(clean, "config", replace(clean.config, allow_private_webhook_targets=False))
    post_order(client, tenant)
    run_jobs()
    [row] = rows(clean)
    assert receiver.received == [] and row.state == "dead" and "target refused" in row.last_error


def test_fan_out_twice_makes_one_row_per_subscription(client, tenant, run_jobs, receiver, subscribe, clean):
    subscribe(receiver.url)
    subscribe(receiver.url, ["delivery.created"])
    subscribe(receiver.url, ["route.*"])  # wants nothing of this
    post_order(client, tenant)
    run_jobs()
    with transaction(clean.sessions) as session:  # fan-out again (a replayed transaction): nothing doubles
        for event in session.execute(select(DeliveryEvent)).scalars().all():
            fan_out_event(session, event, utcnow())
    run_jobs()
    assert len(rows(clean)) == 2 and len(receiver.received) == 2
    assert len({r.webhook_id for r in receiver.received}) == 2


def test_a_later_event_waits_and_is_released_when_the_earlier_one_succeeds(client, tenant, run_jobs, receiver,
                                                                        subscribe, clean):
    subscribe(receiver.url)
    receiver.answers = [(503, {})]
    post_order(client, tenant)
    run_jobs()
    post_order(client, tenant, notes="Back door")
    run_jobs()
    first, second = rows(clean)
    assert (first.state, second.state, second.attempts) == ("retrying", "pending", 0)
    assert "waiting for" in attempt(clean, second.id).detail
    assert attempt(clean, first.id, now=utcnow() + timedelta(hours=1)).state == "succeeded"
    run_jobs()  # the hand-off enqueued the waiting event's job
    assert [r.state for r in rows(clean)] == ["succeeded", "succeeded"]
    assert [r.payload["data"]["sequence"] for r in receiver.accepted()] == [1, 2]
