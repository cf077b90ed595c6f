"""What the store already shipped is not delivered again: an order first seen complete and fully shipped
creates no delivery, while an order the hub is delivering stays updated when the store marks it shipped
(the hub's own write-back does that). Through the hub with WooCommerce's stand-in and real order payloads."""

from __future__ import annotations

from typing import Any

from connectors.woocommerce.testing import WooStandIn
from connectors.woocommerce.tests.conftest import store  # noqa: F401  (the stand-in store fixture)
from connectors.woocommerce.tests.helpers import CONSUMER_KEY, CONSUMER_SECRET
from tests.connectors.test_woocommerce_end_to_end import deliveries, order, post_hook, wp_json


def install(client: Any, tenant: dict[str, Any], store: WooStandIn) -> tuple[str, str]:
    response = client.post("/api/v1/installations", headers=tenant["headers"], json={
        "connector": "woocommerce",
        "settings": {"url": store.url, "consumer_key": CONSUMER_KEY, "consumer_secret": CONSUMER_SECRET}})
    assert response.status_code == 201, response.get_json()
    (secret,) = {r.body["secret"] for r in store.calls("POST", "webhooks")}
    return response.get_json()["id"], secret


def test_an_order_first_seen_completed_is_not_delivered(client, tenant, run_jobs, clean, store):  # noqa: F811
    hook, secret = install(client, tenant, store)
    completed = order("order_723_non_ascii_completed")
    assert completed["status"] == "completed"
    assert post_hook(client, hook, wp_json(completed), "order.created", "d-723-1", secret).status_code == 200
    run_jobs()
    assert deliveries(client, tenant) == []


def test_a_delivery_stays_when_the_store_marks_its_order_shipped(client, tenant, run_jobs, clean, store):  # noqa: F811
    hook, secret = install(client, tenant, store)
    processing = order("order_727_processing")
    assert post_hook(client, hook, wp_json(processing), "order.created", "d-727-1", secret).status_code == 200
    run_jobs()
    (created,) = deliveries(client, tenant)
    completed = order("order_727_updated_completed")
    assert completed["status"] == "completed"
    assert post_hook(client, hook, wp_json(completed), "order.updated", "d-727-2", secret).status_code == 200
    run_jobs()
    (after,) = deliveries(client, tenant)
    assert after["id"] == created["id"] and after["status"] != "cancelled"
