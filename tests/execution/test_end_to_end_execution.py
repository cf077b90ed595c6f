"""Execution end to end, one test per story: a Shopify order driven by the driver API to delivered with the
subscriber and the shop told at every step; a failed attempt rescheduled by the hub's own recovery policy and
delivered on the second route; and impossible moves refused (409) without writing anything.

Only the outside world is stood in for, over real HTTP: the shop (hub.demo.shopify's stand-in, which records every
write-back call) and the subscriber (pytest-httpserver, verifying with the standardwebhooks library)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import date, datetime, timezone
from typing import Any

import pytest
from sqlalchemy import select

from connectors.shopify.testing import ShopifyStandIn
from hub.canonical import EVENT_TYPES
from hub.canonical.validation import validate_document
from hub.db.models import OutboxItem
from hub.demo import shopify as demo_shopify
from hub.demo.data import day_of_orders
from hub.demo.stores import install
from hub.runtime import Runtime
from tests.fleet.setup import ALL_DAY
from tests.execution.setup import (
    driver_headers,
    image,
    make_driver,
    plan_route,
    pod_form,
    post_delivery,
)
from tests.webhooks.conftest import Receiver, create_subscription

PHOTOS = ("door.png", "parcel.png")  # what pod_form(photos=2) uploads, in order


@pytest.fixture
def receiver(httpserver: Any) -> Receiver:
    """The subscriber stand-in of tests/webhooks (it answers 401 to anything its secrets do not verify)."""
    stand_in = Receiver(httpserver.url_for("/hooks/hub"))
    httpserver.expect_request("/hooks/hub", method="POST").respond_with_handler(stand_in.handle)
    return stand_in


@pytest.fixture
def shop() -> Iterator[ShopifyStandIn]:
    stand_in = demo_shopify.store()
    yield stand_in
    stand_in.stop()


def subscribed(client: Any, tenant: dict[str, Any], receiver: Receiver) -> str:
    secret = create_subscription(client, tenant, receiver.url)["secret"]
    receiver.secrets = [secret]
    return secret


def settle(runtime: Runtime, run_jobs: Any, fast_forward: Any, rounds: int = 5) -> None:
    """Run the queued jobs, then skip backoff until nothing is left open (a delivery's write-backs wait for the one
    before them; that wait is a retry). Five rounds: one per write-back a single driver call can queue, and some."""
    run_jobs()
    for _ in range(rounds):
        with runtime.sessions() as session:
            if session.execute(select(OutboxItem.id).where(OutboxItem.processed_at.is_(None))).first() is None:
                return
        fast_forward()
    raise AssertionError("outbox rows still open after skipping backoff")


def history(client: Any, tenant: dict[str, Any], delivery_id: str) -> list[dict[str, Any]]:
    response = client.get(f"/api/v1/deliveries/{delivery_id}/events", headers=tenant["headers"])
    assert response.status_code == 200, response.json
    return response.json["items"]  # type: ignore[no-any-return]


def heard(receiver: Receiver, secret: str, delivery_id: str) -> list[dict[str, Any]]:
    """The events the subscriber accepted for one delivery, in arrival order; each one verified with its secret."""
    assert all(r.verified_with == [secret] and r.answered == 200 for r in receiver.received), [
        (r.webhook_id, r.answered, r.verified_with) for r in receiver.received]
    payloads = [r.payload for r in receiver.received]
    assert all(p["type"] == p["data"]["event"]["type"] and p["data"]["sequence"] == p["data"]["event"]["sequence"]
               for p in payloads)
    return [p["data"]["event"] for p in payloads if p["data"]["event"]["delivery_id"] == delivery_id]


def published(stored: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The stored events subscribers get: every type of the envelope's vocabulary (not bookkeeping like
    delivery.written_back)."""
    return [e for e in stored if e["type"] in EVENT_TYPES]


def heard_everything(client: Any, tenant: dict[str, Any], receiver: Receiver, secret: str,
                     delivery_id: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The delivery's stored events (an unbroken sequence) and what the subscriber heard: every published one,
    once, in sequence order."""
    stored = history(client, tenant, delivery_id)
    events = heard(receiver, secret, delivery_id)
    assert [e["sequence"] for e in stored] == list(range(1, len(stored) + 1))
    assert [(e["sequence"], e["id"]) for e in events] == [(e["sequence"], e["id"]) for e in published(stored)]
    return stored, events


def statuses(events: list[dict[str, Any]]) -> list[str]:
    return [e["data"]["status"] for e in events if e["type"] == "delivery.status_changed"]


def in_order(events: list[dict[str, Any]], wanted: list[tuple[str, str | None]]) -> bool:
    """Whether `wanted` ((type, status or None)) occurs in `events` in this order, other events in between."""
    seen = iter((e["type"], e["data"].get("status") if e["type"] == "delivery.status_changed" else None)
                for e in events)
    return all(step in seen for step in wanted)


def test_shopify_order_planned_driven_and_proved_reaches_subscriber_and_shop(
        client: Any, tenant: dict[str, Any], run_jobs: Any, fast_forward: Any, clean: Runtime,
        receiver: Receiver, hub_url: str, shop: ShopifyStandIn) -> None:
    secret = subscribed(client, tenant, receiver)
    install(hub_url, tenant["key"], "shopify", demo_shopify.settings(shop), "e2e shop")
    [order] = demo_shopify.send_orders(shop, hub_url, day_of_orders(1, seed=303))  # signed orders/create, real HTTP
    run_jobs()
    found = client.get(f"/api/v1/deliveries?source=shopify&external_id={order['id']}", headers=tenant["headers"]).json
    [delivery] = found["items"]
    delivery_id = delivery["id"]
    assert delivery["source"]["connector"] == "shopify"

    driver = make_driver(client, tenant)
    plan_route(clean, driver, [delivery_id])
    headers = driver_headers(clean, tenant["id"], driver["id"])
    started = client.post("/api/v1/driver/route/start", headers=headers)
    assert started.status_code == 200 and started.json["stops"] == [
        {"delivery_id": delivery_id, "status": "in_transit", "changed": True}], started.json
    settle(clean, run_jobs, fast_forward)
    arrived = client.post(f"/api/v1/driver/stops/{delivery_id}/arrive", json={"lat": 52.52, "lng": 13.40},
                          headers=headers)
    assert arrived.status_code == 200 and arrived.json["status"] == "arriving", arrived.json
    settle(clean, run_jobs, fast_forward)
    done = client.post(f"/api/v1/driver/stops/{delivery_id}/complete", data=pod_form(photos=2), headers=headers,
                       content_type="multipart/form-data")
    assert done.status_code == 200 and done.json["status"] == "delivered", done.json
    settle(clean, run_jobs, fast_forward)

    # The subscriber heard every published event of the delivery exactly once, verified, in sequence order.
    stored, events = heard_everything(client, tenant, receiver, secret, delivery_id)
    assert len({r.webhook_id for r in receiver.received}) == len(receiver.received)
    assert in_order(events, [("delivery.status_changed", "in_transit"), ("delivery.handoff", None),
                             ("delivery.status_changed", "arriving"), ("delivery.pod_captured", None),
                             ("delivery.handoff", None), ("delivery.status_changed", "delivered")])
    [pod] = [e["data"] for e in events if e["type"] == "delivery.pod_captured"]
    assert pod["signature"]["sha256"] == hashlib.sha256(image("signature.png")).hexdigest()
    assert [p["sha256"] for p in pod["photos"]] == [hashlib.sha256(image(n)).hexdigest() for n in PHOTOS]
    assert pod == done.json["pod"]
    handoffs = [e["data"] for e in events if e["type"] == "delivery.handoff"]
    assert [(h["from"]["kind"], h["to"]["kind"]) for h in handoffs] == [("warehouse", "driver"),
                                                                         ("driver", "recipient")]

    # The shop got its fulfilment with tracking on dispatch, then one event per later status, delivered last.
    fulfilments = [c.body["fulfillment"] for c in shop.calls("POST", "fulfillments.json")]
    assert len(fulfilments) == 1
    # No tracking link: the hub serves no tracking page yet, and the shop would mail a link that answers 404.
    info = fulfilments[0]["tracking_info"]
    assert {k: info[k] for k in ("number", "company")} == {"number": delivery_id, "company": "Kiezkurier Berlin"}
    assert info["url"].startswith("http://hub.test/t/")  # the customer's tracking page, its private token
    pushed = [c.body["event"]["status"] for c in shop.seen if c.path.endswith("/events.json")]
    assert pushed == ["in_transit", "out_for_delivery", "delivered"]
    assert not [c.summary for c in shop.seen if c.summary == "no such route" or c.summary.startswith("refused")]
    written = [(e["data"]["status"], e["data"]["ok"]) for e in stored if e["type"] == "delivery.written_back"]
    assert written[-1] == ("delivered", True) and all(ok for _, ok in written)  # the hub recorded each one

    custody = client.get(f"/api/v1/deliveries/{delivery_id}/custody", headers=tenant["headers"]).json
    assert custody["ok"] is True and custody["first_broken"] is None and custody["custody_gaps"] == []
    assert len(custody["media"]) == 3


def test_failed_attempt_rescheduled_by_the_policy_then_delivered_on_the_next_route(
        client: Any, tenant: dict[str, Any], run_jobs: Any, fast_forward: Any, clean: Runtime,
        receiver: Receiver) -> None:
    secret = subscribed(client, tenant, receiver)
    delivery_id = post_delivery(client, tenant, run_jobs, "ORD-RETRY", requirements={})
    driver = make_driver(client, tenant, **ALL_DAY)  # on shift whenever the test runs: the assign job can use her
    plan_route(clean, driver, [delivery_id], route_id="rte_first")
    headers = driver_headers(clean, tenant["id"], driver["id"])
    assert client.post("/api/v1/driver/route/start", headers=headers).status_code == 200
    assert client.post(f"/api/v1/driver/stops/{delivery_id}/arrive", headers=headers).status_code == 200
    failed = client.post(f"/api/v1/driver/stops/{delivery_id}/fail", headers=headers,
                         json={"reason_code": "customer_unavailable", "note": "Rang twice"})
    assert failed.status_code == 200 and failed.json["status"] == "failed_attempt", failed.json
    settle(clean, run_jobs, fast_forward)  # the tracking job applies the tenant's (default) recovery policy

    # The policy rescheduled it to the next window; the assign job then gave the new window to Ana's depot.
    doc = client.get(f"/api/v1/deliveries/{delivery_id}", headers=tenant["headers"]).json
    stored = history(client, tenant, delivery_id)
    [recovery] = [e for e in stored if e["type"] == "delivery.recovery"]
    assert validate_document("events/recovery.v1", recovery["data"]) == []
    assert recovery["actor"] == {"kind": "system", "id": "recovery_policy"}
    assert recovery["data"]["decided_by"] == {"kind": "policy", "rule": "default_action", "attempts": 1}
    assert recovery["data"]["action"] == "reschedule" and recovery["data"]["status"] == "rescheduled"
    assert recovery["data"]["window"] == doc["promised_window"]
    assert statuses(stored)[-2:] == ["rescheduled", "assigned"] and doc["status"] == "assigned"
    assert [e["data"]["depot_id"] for e in stored if e["type"] == "delivery.assigned"] == [driver["depot_id"]]
    [failed_event] = [e for e in stored if e["data"].get("status") == "failed_attempt"]
    assert recovery["data"]["trigger_event_id"] == failed_event["id"]
    assert failed_event["data"]["reason_code"] == "customer_unavailable"

    # The second attempt is on the route of the rescheduled window's day (the depot is on UTC).
    window_start = datetime.fromisoformat(doc["promised_window"]["start"])
    day: date = window_start.astimezone(timezone.utc).date()
    assert window_start > datetime.fromisoformat(failed_event["occurred_at"].replace("Z", "+00:00"))
    plan_route(clean, driver, [delivery_id], route_id="rte_second", day=day)
    on_day = f"?date={day.isoformat()}"
    route = client.get(f"/api/v1/driver/route{on_day}", headers=headers).json
    assert route["route_id"] == "rte_second" and [s["delivery_id"] for s in route["stops"]] == [delivery_id]
    restarted = client.post(f"/api/v1/driver/route/start{on_day}", headers=headers)
    assert restarted.status_code == 200 and restarted.json["stops"] == [
        {"delivery_id": delivery_id, "status": "in_transit", "changed": True}], restarted.json
    assert client.post(f"/api/v1/driver/stops/{delivery_id}/arrive{on_day}", headers=headers).status_code == 200
    done = client.post(f"/api/v1/driver/stops/{delivery_id}/complete{on_day}", headers=headers,
                       data=pod_form(signature=False, photos=1), content_type="multipart/form-data")
    assert done.status_code == 200 and done.json["status"] == "delivered", done.json
    settle(clean, run_jobs, fast_forward)

    stored, events = heard_everything(client, tenant, receiver, secret, delivery_id)
    assert statuses(events) == ["planned", "dispatched", "in_transit", "arriving", "failed_attempt", "rescheduled",
                                "assigned", "planned", "dispatched", "in_transit", "arriving", "delivered"]
    assert in_order(events, [("delivery.status_changed", "failed_attempt"), ("delivery.exception", None),
                             ("delivery.status_changed", "rescheduled"), ("delivery.recovery", None),
                             ("delivery.status_changed", "in_transit"), ("delivery.pod_captured", None),
                             ("delivery.status_changed", "delivered")])
    [exception] = [e for e in events if e["type"] == "delivery.exception" and e["data"]["code"] == "failed_attempt"]
    assert validate_document("events/exception.v1", exception["data"]) == []
    [heard_recovery] = [e for e in events if e["type"] == "delivery.recovery"]
    assert validate_document("events/recovery.v1", heard_recovery["data"]) == []
    custody = client.get(f"/api/v1/deliveries/{delivery_id}/custody", headers=tenant["headers"]).json
    assert custody["ok"] is True and custody["custody_gaps"] == []


def test_impossible_moves_are_409_with_the_reason_and_write_nothing(
        client: Any, tenant: dict[str, Any], run_jobs: Any, clean: Runtime) -> None:
    delivery_id = post_delivery(client, tenant, run_jobs, "ORD-409", requirements={})
    driver = make_driver(client, tenant)
    plan_route(clean, driver, [delivery_id])
    headers = driver_headers(clean, tenant["id"], driver["id"])

    def count() -> int:
        return len(history(client, tenant, delivery_id))

    before = count()
    early = client.post(f"/api/v1/driver/stops/{delivery_id}/complete", data=pod_form(), headers=headers,
                        content_type="multipart/form-data")
    assert early.status_code == 409 and early.json["error"]["code"] == "invalid_transition"
    assert "'planned' cannot become 'delivered'" in early.json["error"]["message"]
    assert count() == before

    client.post("/api/v1/driver/route/start", headers=headers)
    client.post(f"/api/v1/driver/stops/{delivery_id}/arrive", headers=headers)
    done = client.post(f"/api/v1/driver/stops/{delivery_id}/complete", data=pod_form(), headers=headers,
                       content_type="multipart/form-data")
    assert done.status_code == 200 and done.json["status"] == "delivered"
    run_jobs()
    before = count()

    cancelled = client.post(f"/api/v1/deliveries/{delivery_id}/cancel", json={"reason": "customer changed their mind"},
                            headers=tenant["headers"])
    assert cancelled.status_code == 409, cancelled.json
    assert cancelled.json["error"]["code"] == "invalid_transition"
    assert "'delivered' cannot become 'cancelled'" in cancelled.json["error"]["message"]
    assert "final status" in cancelled.json["error"]["message"]
    assert client.post(f"/api/v1/deliveries/{delivery_id}/cancel", headers=tenant["headers"]).status_code == 409
    for path, kwargs in ((f"/api/v1/driver/stops/{delivery_id}/arrive", {}),
                         (f"/api/v1/driver/stops/{delivery_id}/fail", {"json": {"reason_code": "refused"}}),
                         (f"/api/v1/driver/stops/{delivery_id}/complete",
                          {"data": pod_form(), "content_type": "multipart/form-data"})):
        refused = client.post(path, headers=headers, **kwargs)
        assert refused.status_code == 409 and "final status" in refused.json["error"]["message"], (path, refused.json)
    run_jobs()
    assert count() == before
    assert client.get(f"/api/v1/deliveries/{delivery_id}", headers=tenant["headers"]).json["status"] == "delivered"


def test_what_the_subscriber_receives_fits_the_published_webhook_schema(
        client: Any, tenant: dict[str, Any], run_jobs: Any, clean: Runtime, receiver: Receiver, hub_url: str,
        shop: ShopifyStandIn) -> None:
    subscribed(client, tenant, receiver)
    install(hub_url, tenant["key"], "shopify", demo_shopify.settings(shop), "e2e shop")
    demo_shopify.send_orders(shop, hub_url, day_of_orders(1, seed=404))
    run_jobs()
    [delivery] = client.get("/api/v1/deliveries?source=shopify", headers=tenant["headers"]).json["items"]
    driver = make_driver(client, tenant)
    plan_route(clean, driver, [delivery["id"]])
    assert client.post("/api/v1/driver/route/start", headers=driver_headers(clean, tenant["id"], driver["id"])
                       ).status_code == 200
    run_jobs()
    payloads = [r.payload for r in receiver.received]
    assert {p["type"] for p in payloads} >= {"delivery.created", "delivery.status_changed", "delivery.handoff"}
    errors = [(p["type"], e.path, e.message) for p in payloads for e in validate_document("events/webhook.v1", p)]
    assert errors == []
