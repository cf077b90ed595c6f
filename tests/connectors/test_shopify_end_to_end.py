"""One store, end to end through the hub: install (webhooks registered at a stand-in shop), signed
order webhooks in, deliveries out of the API, fulfilment and tracking back to the shop."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlsplit

from click.testing import CliRunner
from pytest_httpserver import HTTPServer

from connectors.shopify.tests.conftest import SHOP, api, payload
from connectors.shopify.webhooks import TOPICS, sign
from hub.paths import REPO_ROOT
from hub.runtime import Runtime, get_runtime

GOLDEN = REPO_ROOT / "connectors" / "shopify" / "tests" / "fixtures" / "golden"
SECRET = "shpss_end_to_end_secret"
ORDER_A = json.loads((GOLDEN / "apartment_vip.input.json").read_text(encoding="utf-8"))
ORDER_B = {**ORDER_A, "id": 820982911946154777, "admin_graphql_api_id": "gid://shopify/Order/820982911946154777", "name": "#1078"}
PRE_DISPATCH = ("received", "assigned", "planned")
DELIVERY_DATE = "note_attributes[?name=='Delivery date'].value | [0]"


def _hook(client: Any, installation_id: str, topic: str, order: dict[str, Any], webhook_id: str,
          secret: str = SECRET) -> Any:
    body = json.dumps(order).encode("utf-8")
    headers = {"X-Shopify-Topic": topic, "X-Shopify-Shop-Domain": SHOP, "X-Shopify-API-Version": "2026-07",
               "X-Shopify-Webhook-Id": webhook_id, "X-Shopify-Hmac-Sha256": sign(secret, body),
               "Content-Type": "application/json"}
    return client.post(f"/hooks/{installation_id}", data=body, headers=headers)


def _delivery(client: Any, tenant: dict[str, Any], external_id: str) -> dict[str, Any]:
    items = client.get(f"/api/v1/deliveries?source=shopify&external_id={external_id}", headers=tenant["headers"]).get_json()["items"]
    assert len(items) == 1, (items, _inbox(get_runtime()))
    return items[0]  # type: ignore[no-any-return]


def test_install_with_the_cli_registers_the_webhooks(httpserver: HTTPServer, clean: Runtime, tenant: dict[str, Any]) -> None:
    from hub.cli import main

    httpserver.expect_oneshot_request(api("webhooks.json"), "GET").respond_with_json({"webhooks": []})
    for number, topic in enumerate(TOPICS):
        httpserver.expect_oneshot_request(api("webhooks.json"), "POST").respond_with_json({"webhook": {"id": 800 + number}}, status=201)
    result = CliRunner().invoke(main, [
        "install", "shopify", "--tenant", tenant["name"], "--set", f"shop={SHOP}", "--set", "access_token=shpat_cli",
        "--set", f"client_secret={SECRET}", "--set", f"api_url={httpserver.url_for('/').rstrip('/')}",
        "--set", "api_version=2026-07", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert [(h["topic"], h["external_id"]) for h in data["registered_webhooks"]] == [(t, str(800 + i)) for i, t in enumerate(TOPICS)]
    assert {h["address"] for h in data["registered_webhooks"]} == {data["inbound_url"]}
    assert "shpat_cli" not in result.output and SECRET not in result.output
    posted = [json.loads(req.get_data()) for req, _ in httpserver.log if req.method == "POST"]
    assert [p["webhook"]["topic"] for p in posted] == list(TOPICS)
    assert {p["webhook"]["address"] for p in posted} == {data["inbound_url"]}


def test_a_bad_shop_domain_is_refused_before_anything_is_registered(httpserver: HTTPServer, client: Any, tenant: dict[str, Any]) -> None:
    response = client.post("/api/v1/installations", headers=tenant["headers"], json={
        "connector": "shopify", "settings": {"shop": "maple-goods.com", "client_secret": SECRET}})
    assert response.status_code == 422
    paths = {d["path"] for d in response.get_json()["error"]["details"]}
    assert {"$.settings.shop", "$.settings.access_token"} <= paths
    assert httpserver.log == []


def test_orders_flow_in_and_fulfilments_flow_back(httpserver: HTTPServer, client: Any, tenant: dict[str, Any],
                                                  run_jobs: Any, clean: Runtime) -> None:
    # Install through the API; the stand-in shop sees the four subscriptions.
    httpserver.expect_oneshot_request(api("webhooks.json"), "GET").respond_with_json({"webhooks": []})
    for number, topic in enumerate(TOPICS):
        httpserver.expect_oneshot_request(api("webhooks.json"), "POST").respond_with_json({"webhook": {"id": 700 + number}}, status=201)
    response = client.post("/api/v1/installations", headers=tenant["headers"], json={
        "connector": "shopify", "overrides": {"promised_window.start": DELIVERY_DATE},
        "settings": {"shop": SHOP, "access_token": "shpat_e2e", "client_secret": SECRET, "api_version": "2026-07",
                     "api_url": httpserver.url_for("/").rstrip("/"), "tracking_company": "Maple Couriers"}})
    assert response.status_code == 201, response.get_json()
    installation = response.get_json()
    inst = installation["id"]
    assert [h["topic"] for h in installation["registered_webhooks"]] == list(TOPICS)
    assert installation["settings"]["access_token"] != "shpat_e2e"
    posted = [json.loads(req.get_data())["webhook"] for req, _ in httpserver.log if req.method == "POST"]
    assert {p["address"] for p in posted} == {f"http://hub.test/hooks/{inst}"}
    httpserver.check_assertions()
    httpserver.clear()

    # orders/create → a delivery, with the owner's override filling the promised window.
    assert _hook(client, inst, "orders/create", ORDER_A, "wh-a-1").get_json()["status"] == "accepted"
    run_jobs()
    first = _delivery(client, tenant, "9007199254740993")
    assert first["status"] in PRE_DISPATCH  # "assigned" once the hub's assignment job runs on it
    assert first["promised_window"] == {"start": "2025-01-16T09:00:00-05:00"}
    assert first["dropoff"]["address"]["unit"] == "1804" and first["priority_tier"] == "vip"

    # The same webhook again: a no-op.
    assert _hook(client, inst, "orders/create", ORDER_A, "wh-a-1").get_json()["status"] == "duplicate"
    run_jobs()
    assert _delivery(client, tenant, "9007199254740993")["version"] == first["version"]

    # orders/updated with a new address updates it.
    moved = {**ORDER_A, "shipping_address": {**ORDER_A["shipping_address"], "address1": "1 Front St W", "address2": "Suite 200"}}
    _hook(client, inst, "orders/updated", moved, "wh-a-2")
    run_jobs()
    updated = _delivery(client, tenant, "9007199254740993")
    assert updated["dropoff"]["address"]["line1"] == "1 Front St W" and updated["dropoff"]["address"]["unit"] == "200"
    assert updated["version"] > first["version"]

    # A forged cancellation: 401, and nothing changes.
    forged = _hook(client, inst, "orders/cancelled", ORDER_A, "wh-a-3", secret="shpss_guessed")
    assert forged.status_code == 401
    run_jobs()
    assert _delivery(client, tenant, "9007199254740993")["version"] == updated["version"]

    # The real cancellation cancels it (no write-back call: nothing was fulfilled).
    _hook(client, inst, "orders/cancelled", {**ORDER_A, "cancelled_at": "2025-01-15T09:00:00-05:00", "cancel_reason": "customer"}, "wh-a-4")
    run_jobs()
    assert _delivery(client, tenant, "9007199254740993")["status"] == "cancelled", _inbox(clean)
    assert httpserver.log == []

    # A second order is dispatched: the fulfilment reaches the shop with tracking.
    _hook(client, inst, "orders/create", ORDER_B, "wh-b-1")
    run_jobs()
    b = _delivery(client, tenant, "820982911946154777")
    fulfillment_orders = payload("shopify_rest_fulfillment_orders_for_order.json")
    httpserver.expect_oneshot_request(api("orders/820982911946154777/fulfillment_orders.json"), "GET").respond_with_json(fulfillment_orders)
    httpserver.expect_oneshot_request(api("fulfillments.json"), "POST", json={"fulfillment": {
        "line_items_by_fulfillment_order": [{"fulfillment_order_id": 1046000780}],
        "tracking_info": {"number": b["id"], "company": "Maple Couriers", "url": b["tracking_url"]},
        "notify_customer": True,
    }}).respond_with_json(payload("shopify_rest_fulfillment_create_response.json"), status=201)
    _move(clean, b["id"], "dispatched")
    run_jobs()
    httpserver.check_assertions()
    # The link the shop mails its customer opens the hub's tracking page.
    assert b["tracking_url"].startswith(f"{clean.config.public_url}/t/")
    page = client.get(urlsplit(b["tracking_url"]).path)
    assert page.status_code == 200 and "With the driver" in page.get_data(as_text=True)

    # Later statuses become events on that fulfilment.
    httpserver.expect_oneshot_request(api("orders/820982911946154777/fulfillments/1069019877/events.json"), "POST").respond_with_json(
        payload("shopify_rest_fulfillment_event_create_response.json"), status=201)
    _move(clean, b["id"], "in_transit")
    run_jobs()
    httpserver.check_assertions()
    (event_request, _), = [entry for entry in httpserver.log if entry[0].path.endswith("/events.json")]
    assert json.loads(event_request.get_data())["event"]["status"] == "in_transit"
    events = client.get(f"/api/v1/deliveries/{b['id']}/events", headers=tenant["headers"]).get_json()["items"]
    written = [e["data"] for e in events if e["type"] == "delivery.written_back"]
    assert [(w["status"], w["ok"], w["external_ref"]) for w in written] == [
        ("dispatched", True, "1069019877"), ("in_transit", True, "1069019877")]

    # The shop says slow down: the hub keeps the write-back and tries again after Retry-After.
    httpserver.expect_oneshot_request(api("orders/820982911946154777/fulfillments/1069019877/events.json"), "POST").respond_with_json(
        {"errors": "Exceeded 2 calls per second for api client."}, status=429, headers={"Retry-After": "30"})
    _move(clean, b["id"], "delivered")
    run_jobs()
    httpserver.check_assertions()
    with clean.sessions() as session:
        from sqlalchemy import select

        from hub.db.models import OutboxItem

        open_rows = session.execute(select(OutboxItem).where(
            OutboxItem.processed_at.is_(None), OutboxItem.kind == "writeback")).scalars().all()
        assert [(row.due_at > row.created_at, "deferred" in (row.last_error or "")) for row in open_rows] == [(True, True)]


def _inbox(runtime: Runtime) -> list[Any]:
    """What the hub did with each stored webhook (shown when an assertion fails)."""
    from sqlalchemy import select

    from hub.db.models import InboxItem

    with runtime.sessions() as session:
        return [(i.dedupe_key, i.state, i.outcome) for i in session.execute(select(InboxItem).order_by(InboxItem.id)).scalars()]


def _move(runtime: Runtime, delivery_id: str, status: str) -> None:
    from hub.db.engine import transaction
    from hub.db.models import Delivery
    from hub.ledger.deliveries import change_status

    with transaction(runtime.sessions) as session:
        change_status(session, session.get(Delivery, delivery_id), status, actor={"kind": "system", "id": "test"})
