"""`hub demo`'s subscriber: subscribed through the API over real HTTP, it verifies every webhook with the
standardwebhooks library; during its outage the hub retries, and afterwards everything arrived once, in order."""

from __future__ import annotations

from typing import Any

import requests

from hub.demo.data import day_of_orders
from hub.demo.receiver import WebhookReceiver, wait_for_webhooks
from hub.runtime import Runtime


def _post(hub_url: str, key: str, count: int) -> list[str]:
    ids = []
    for order in day_of_orders(count):
        response = requests.post(f"{hub_url}/api/v1/deliveries", json=order, timeout=30,
                                 headers={"Authorization": f"Bearer {key}"})
        assert response.status_code == 202, response.text
        ids.append(response.json()["id"])
    return ids


def test_receiver_verifies_every_webhook_and_reports_them(hub_url: str, clean: Runtime, tenant: dict[str, Any],
                                                           run_jobs: Any) -> None:
    receiver = WebhookReceiver(outage_s=0)
    try:
        subscription = receiver.subscribe(hub_url, tenant["key"])
        assert subscription["secret"].startswith("whsec_")
        ids = _post(hub_url, tenant["key"], 3)
        run_jobs()

        assert wait_for_webhooks(clean, timeout_s=5)
        assert sorted(m.delivery_id for m in receiver.messages) == sorted(ids)
        assert {m.type for m in receiver.messages} == {"delivery.created"}
        assert receiver.forged == 0 and receiver.refused == 0
        report = receiver.report(subscription["id"])
        assert "received 3 webhooks for 3 deliveries" in report[2]
        assert report[3] == "exactly once per webhook-id: yes; in per-delivery order: yes"
        assert receiver.timeline(ids[0])[1].split() == ["1", "delivery.created"]

        # A message signed with another secret is refused, and counted.
        forged = requests.post(f"{receiver.url}/hooks/hub", json={"type": "delivery.created"}, timeout=10, headers={
            "webhook-id": "msg_x", "webhook-timestamp": "1700000000", "webhook-signature": "v1,AAAA"})
        assert forged.status_code == 401 and receiver.forged == 1
    finally:
        receiver.stop()


def test_an_outage_is_retried_and_nothing_arrives_twice(hub_url: str, clean: Runtime, tenant: dict[str, Any],
                                                         run_jobs: Any, fast_forward: Any) -> None:
    receiver = WebhookReceiver(outage_s=3600)
    try:
        receiver.subscribe(hub_url, tenant["key"])
        ids = _post(hub_url, tenant["key"], 2)
        run_jobs()
        assert receiver.refused == 2 and not receiver.messages
        assert not wait_for_webhooks(clean, timeout_s=0.5)  # both are waiting for their retry

        receiver.outage_s = 0  # the receiver is back
        fast_forward()
        assert wait_for_webhooks(clean, timeout_s=5)
        assert sorted(m.delivery_id for m in receiver.messages) == sorted(ids)
        assert len({m.webhook_id for m in receiver.messages}) == 2
    finally:
        receiver.stop()
