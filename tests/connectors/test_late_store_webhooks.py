"""A replayed or late store webhook never rolls a delivery back: an order version older (by the store's own
clock) than the one applied is recorded as delivery.update_reported_late, not applied, and starts no
assignment. Real payloads from tests/data/payloads, signed as each store signs them."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import func, select

from connectors.magento.tests.conftest import magento  # noqa: F401  (the stand-in store fixture)
from connectors.shopify.tests.conftest import SHOP
from connectors.shopify.webhooks import sign as shopify_sign
from connectors.woocommerce.tests.helpers import SETTINGS as WOO_SETTINGS
from connectors.woocommerce.tests.helpers import signed_headers as woo_signed_headers
from hub.db.engine import transaction
from hub.db.models import InboxItem, OutboxItem, Tenant
from hub.ledger.installations import create_installation
from hub.paths import PAYLOADS_DIR
from hub.runtime import Runtime

SHOPIFY_SECRET = "shpss_late_webhooks_secret"


def _install(runtime: Runtime, tenant: dict[str, Any], connector: str, settings: dict[str, Any]) -> str:
    with transaction(runtime.sessions) as session:
        installation, _ = create_installation(session, runtime.registry, session.get(Tenant, tenant["id"]),
                                              connector, settings)
        session.flush()
        return installation.id


def _shopify_hook(client: Any, installation: str, topic: str, body: bytes, webhook_id: str) -> Any:
    headers = {"X-Shopify-Topic": topic, "X-Shopify-Shop-Domain": SHOP, "X-Shopify-API-Version": "2026-07",
               "X-Shopify-Webhook-Id": webhook_id, "X-Shopify-Hmac-Sha256": shopify_sign(SHOPIFY_SECRET, body),
               "Content-Type": "application/json"}
    return client.post(f"/hooks/{installation}", data=body, headers=headers)


def _only_delivery(client: Any, tenant: dict[str, Any]) -> dict[str, Any]:
    (delivery,) = client.get("/api/v1/deliveries", headers=tenant["headers"]).get_json()["items"]
    return delivery  # type: ignore[no-any-return]


def _events(client: Any, tenant: dict[str, Any], delivery_id: str) -> list[dict[str, Any]]:
    return client.get(f"/api/v1/deliveries/{delivery_id}/events", headers=tenant["headers"]).get_json()["items"]


def _assign_rows(runtime: Runtime) -> int:
    with runtime.sessions() as session:
        return session.scalar(select(func.count()).select_from(OutboxItem).where(OutboxItem.kind == "assign"))


def test_an_older_signed_shopify_order_resent_under_a_new_webhook_id_does_not_roll_back(client, tenant, run_jobs, clean):
    installation = _install(clean, tenant, "shopify", {
        "shop": SHOP, "access_token": "shpat_late", "client_secret": SHOPIFY_SECRET, "api_version": "2026-07"})
    sample = json.loads((PAYLOADS_DIR / "shopify_webhook_orders_create.json").read_text(encoding="utf-8"))
    # Shopify's own sample is already cancelled (INDEX.md says so); the live order it stands for is not.
    original = json.dumps({**sample, "cancelled_at": None, "cancel_reason": None, "financial_status": "paid"}).encode()
    assert _shopify_hook(client, installation, "orders/create", original, "w-1").status_code == 200
    run_jobs()
    created = _only_delivery(client, tenant)
    assert created["dropoff"]["address"]["line1"] == "123 Shipping Street"

    order = json.loads(original)
    order["updated_at"] = "2021-12-31T20:00:00-05:00"  # an hour after the original's updated_at
    order["shipping_address"] = {**order["shipping_address"], "address1": "9 Moved Lane"}
    assert _shopify_hook(client, installation, "orders/updated", json.dumps(order).encode(), "w-2").status_code == 200
    run_jobs()
    updated = _only_delivery(client, tenant)
    assert updated["dropoff"]["address"]["line1"] == "9 Moved Lane"
    assert updated["source"]["updated_at"] == "2022-01-01T01:00:00.000000Z"
    assigns = _assign_rows(clean)

    replay = _shopify_hook(client, installation, "orders/create", original, "w-3-replayed")  # same signed bytes
    assert replay.status_code == 200 and replay.get_json()["status"] == "accepted"
    run_jobs()
    after = _only_delivery(client, tenant)
    assert after["dropoff"]["address"]["line1"] == "9 Moved Lane" and after["version"] == updated["version"]
    late = _events(client, tenant, after["id"])[-1]
    assert late["type"] == "delivery.update_reported_late"
    assert late["data"]["source_updated_at"] == "2022-01-01T00:00:00.000000Z"
    assert late["data"]["applied_source_updated_at"] == "2022-01-01T01:00:00.000000Z"
    assert _assign_rows(clean) == assigns  # no assignment (and so no planning) re-run
    item = client.get(f"/api/v1/inbox/{replay.get_json()['inbox_id']}", headers=tenant["headers"]).get_json()
    assert item["state"] == "skipped" and "older than the version" in item["reason"]


def test_woocommerce_late_retry_is_recorded_not_applied_and_pings_store_once(client, tenant, run_jobs, clean):
    installation = _install(clean, tenant, "woocommerce", dict(WOO_SETTINGS))
    original = (PAYLOADS_DIR / "woo_order_1.json").read_bytes()
    newer = json.loads(original)
    newer["date_modified_gmt"] = "2017-03-22T19:40:00"
    newer["shipping"] = {**newer["shipping"], "address_1": "1 Newer Street"}
    newer_body = json.dumps(newer).encode()
    for body, delivery_id in ((newer_body, "d-2"), (original, "d-1-late-retry")):  # the older one arrives last
        answer = client.post(f"/hooks/{installation}", data=body,
                             headers=woo_signed_headers(body, "order.updated", delivery_id))
        assert answer.status_code == 200
        run_jobs()
    delivery = _only_delivery(client, tenant)
    assert delivery["dropoff"]["address"]["line1"] == "1 Newer Street"
    assert [e["type"] for e in _events(client, tenant, delivery["id"])] == ["delivery.created", "delivery.update_reported_late"]

    for webhook_id in range(100, 110):  # unsigned pings with made-up webhook ids
        ping = client.post(f"/hooks/{installation}", data=f"webhook_id={webhook_id}".encode(),
                           content_type="application/x-www-form-urlencoded")
        assert ping.status_code == 200
    with clean.sessions() as session:
        pings = session.scalar(select(func.count()).select_from(InboxItem).where(InboxItem.dedupe_key == "ping"))
        assert pings == 1 and session.scalar(select(func.count()).select_from(InboxItem)) == 3


def test_an_older_magento_order_pulled_after_a_newer_one_is_recorded_late(client, tenant, run_jobs, clean, magento):
    from hub.db.models import Installation
    from hub.jobs.pull import poll_installation
    from tests.connectors.test_magento_end_to_end import TOKEN, store_order

    magento.put(store_order(3, "2024-05-01 09:00:00"))
    installation = client.post("/api/v1/installations", headers=tenant["headers"], json={
        "connector": "magento",
        "settings": {"base_url": magento.base_url, "access_token": TOKEN, "initial_lookback_days": 0}}).get_json()["id"]
    moved = store_order(3, "2024-05-01 10:00:00")
    moved["extension_attributes"]["shipping_assignments"][0]["shipping"]["address"]["street"] = ["9 Elm St"]
    for version in (store_order(3, "2024-05-01 09:00:00"), moved):
        magento.put(version)
        poll_installation(installation)
        run_jobs()
    assert _only_delivery(client, tenant)["dropoff"]["address"]["line1"] == "9 Elm St"

    # A lagging store replica answers the version before the move, and the bookmark is read again from the start.
    magento.put(store_order(3, "2024-05-01 09:30:00"))
    with transaction(clean.sessions) as session:
        session.get(Installation, installation).bookmark = None
    assert poll_installation(installation)["stored"] == 1
    run_jobs()
    delivery = _only_delivery(client, tenant)
    assert delivery["dropoff"]["address"]["line1"] == "9 Elm St"
    assert delivery["source"]["updated_at"] == "2024-05-01T10:00:00.000000Z"
    assert _events(client, tenant, delivery["id"])[-1]["type"] == "delivery.update_reported_late"
