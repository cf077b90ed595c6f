"""WooCommerce through the whole hub: install (webhooks registered at a stand-in store), the creation
ping, signed order webhooks in, deliveries out, and status written back to the store."""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import urlsplit

from click.testing import CliRunner

from connectors.woocommerce.testing import WooStandIn
from connectors.woocommerce.tests.conftest import store  # noqa: F401  (the stand-in store fixture)
from connectors.woocommerce.tests.helpers import CONSUMER_KEY, CONSUMER_SECRET, GOLDEN
from connectors.woocommerce.webhooks import sign
from hub.cli import main as cli
from hub.db.engine import transaction
from hub.db.models import Delivery
from hub.ledger.deliveries import change_status

SYSTEM = {"kind": "system", "id": "test"}


def wp_json(order: dict[str, Any]) -> bytes:
    """The body as WooCommerce sends it (wp_json_encode: compact, "\\/", \\u escapes)."""
    return json.dumps(order, separators=(",", ":")).replace("/", "\\/").encode()


def order(name: str, **changes: Any) -> dict[str, Any]:
    return {**json.loads((GOLDEN / f"{name}.input.json").read_text(encoding="utf-8")), **changes}


def post_hook(client: Any, installation_id: str, body: bytes, topic: str, delivery_id: str, secret: str) -> Any:
    headers = {"X-WC-Webhook-Topic": topic, "X-WC-Webhook-Resource": "order", "X-WC-Webhook-Event": topic.split(".")[1],
               "X-WC-Webhook-ID": "100", "X-WC-Webhook-Delivery-ID": delivery_id,
               "X-WC-Webhook-Source": "http://shop.test/", "X-WC-Webhook-Signature": sign(secret, body)}
    return client.post(f"/hooks/{installation_id}", data=body, headers=headers, content_type="application/json")


def deliveries(client: Any, tenant: dict[str, Any]) -> list[dict[str, Any]]:
    response = client.get("/api/v1/deliveries", headers=tenant["headers"])
    assert response.status_code == 200, response.get_json()
    return response.get_json()["items"]


def by_order(client: Any, tenant: dict[str, Any], order_id: str) -> dict[str, Any]:
    (found,) = [d for d in deliveries(client, tenant) if d["source"]["external_id"] == order_id]
    return found


def move(clean: Any, delivery_id: str, *statuses: str) -> None:
    with transaction(clean.sessions) as s:
        row = s.get(Delivery, delivery_id)
        for status in statuses:
            change_status(s, row, status, actor=SYSTEM)


def test_woocommerce_end_to_end(client: Any, tenant: dict[str, Any], run_jobs: Any, clean: Any,
                                store: WooStandIn) -> None:
    # Install: the hub registers four webhooks at the store, each with the installation's secret.
    response = client.post("/api/v1/installations", headers=tenant["headers"], json={
        "connector": "woocommerce",
        "settings": {"url": store.url, "consumer_key": CONSUMER_KEY, "consumer_secret": CONSUMER_SECRET}})
    assert response.status_code == 201, response.get_json()
    installation = response.get_json()
    assert CONSUMER_SECRET not in json.dumps(installation)
    assert [h["topic"] for h in installation["registered_webhooks"]] == [
        "order.created", "order.updated", "order.deleted", "order.restored"]
    registered = store.calls("POST", "webhooks")
    assert {r.body["delivery_url"] for r in registered} == {installation["inbound_url"]}
    (secret,) = {r.body["secret"] for r in registered}
    hook_id = installation["id"]

    # The creation ping: unsigned form body, answered 200, creates nothing.
    ping = client.post(f"/hooks/{hook_id}", data=b"webhook_id=100", content_type="application/x-www-form-urlencoded")
    assert ping.status_code == 200, ping.get_json()
    run_jobs()
    assert deliveries(client, tenant) == []

    # order.created → a delivery.
    created = wp_json(order("order_727_processing"))
    assert post_hook(client, hook_id, created, "order.created", "d-727-1", secret).status_code == 200
    run_jobs()
    first = by_order(client, tenant, "727")
    assert first["dropoff"]["contact"]["name"] == "John Doe"
    assert first["parcels"][1]["description"] == "Ship Your Idea – Color: Black, Size: M Test"

    # The same delivery again is a no-op.
    again = post_hook(client, hook_id, created, "order.created", "d-727-1", secret)
    assert again.status_code == 200 and again.get_json()["status"] == "duplicate"
    run_jobs()
    assert [d["version"] for d in deliveries(client, tenant)] == [first["version"]]

    # order.updated changes it.
    updated = order("order_727_processing", customer_note="Leave it with the concierge",
                    date_modified_gmt="2017-03-22T19:40:00")
    updated["shipping"] = {**updated["shipping"], "address_2": "Apt 4B"}
    assert post_hook(client, hook_id, wp_json(updated), "order.updated", "d-727-2", secret).status_code == 200
    run_jobs()
    second = by_order(client, tenant, "727")
    assert second["notes"] == "Leave it with the concierge" and second["dropoff"]["address"]["unit"] == "4B"
    assert second["version"] > first["version"]

    # A forged webhook is refused and changes nothing.
    forged = wp_json({**updated, "shipping": {**updated["shipping"], "address_1": "1 Thief Lane"}})
    refused = post_hook(client, hook_id, forged, "order.updated", "d-727-3", "not-the-secret")
    assert refused.status_code == 401
    run_jobs()
    assert by_order(client, tenant, "727") == second

    # order.deleted ({"id": N} only) cancels it; nothing is written back for a cancellation before dispatch.
    assert post_hook(client, hook_id, b'{"id":727}', "order.deleted", "d-727-4", secret).status_code == 200
    run_jobs()
    assert by_order(client, tenant, "727")["status"] == "cancelled"
    assert store.calls(path="orders/727/notes") == [] and store.calls(path="orders/727") == []

    # An unpaid order waits; once paid it is delivered; back on hold, the hub cancels its delivery.
    unpaid = order("order_727_processing", id=900, number="900", status="pending")
    assert post_hook(client, hook_id, wp_json(unpaid), "order.created", "d-900-1", secret).status_code == 200
    run_jobs()
    assert [d for d in deliveries(client, tenant) if d["source"]["external_id"] == "900"] == []
    for n, status in enumerate(("processing", "on-hold"), start=2):
        body = wp_json({**unpaid, "status": status, "date_modified_gmt": f"2017-03-22T20:0{n}:00"})
        assert post_hook(client, hook_id, body, "order.updated", f"d-900-{n}", secret).status_code == 200
        run_jobs()
        assert (by_order(client, tenant, "900")["status"] == "cancelled") is (status == "on-hold")

    # Another order (non-ASCII) goes out and is delivered: the store gets the note and the completion.
    joao = order("order_723_non_ascii_completed", status="processing")
    assert post_hook(client, hook_id, wp_json(joao), "order.created", "d-723-1", secret).status_code == 200
    run_jobs()
    delivery = by_order(client, tenant, "723")
    assert delivery["dropoff"]["contact"]["name"] == "João Silva"
    to_dispatch = {"needs_attention": ("assigned", "dispatched"), "received": ("dispatched",),
                   "assigned": ("dispatched",), "planned": ("dispatched",), "dispatched": ()}[delivery["status"]]
    move(clean, delivery["id"], *to_dispatch, "in_transit", "delivered")
    run_jobs()
    writes = [(s.method, s.path, s.body) for s in store.seen if s.path.startswith("orders/723")]
    assert writes == [
        ("POST", "orders/723/notes", {"note": f"Your order is on its way. Track your delivery: {delivery['tracking_url']}",
                                      "customer_note": True}),
        ("PUT", "orders/723", {"status": "completed"}),
    ]
    assert {s.auth for s in store.seen} == {"oauth1"}
    assert client.get(urlsplit(delivery["tracking_url"]).path).status_code == 200  # the link in the note opens
    assert by_order(client, tenant, "723")["status"] == "delivered"


def test_install_from_the_command_line(tenant: dict[str, Any], store: WooStandIn) -> None:
    result = CliRunner().invoke(cli, ["install", "woocommerce", "--tenant", tenant["name"], "--set", f"url={store.url}",
                                      "--set", f"consumer_key={CONSUMER_KEY}", "--set", f"consumer_secret={CONSUMER_SECRET}",
                                      "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert len(data["registered_webhooks"]) == 4 and CONSUMER_SECRET not in result.output
    assert len(store.calls("POST", "webhooks")) == 4


def test_the_recipients_choice_reaches_the_store_as_a_private_note(client: Any, tenant: dict[str, Any], run_jobs: Any,
                                                                   clean: Any, store: WooStandIn) -> None:
    installation = client.post("/api/v1/installations", headers=tenant["headers"], json={
        "connector": "woocommerce",
        "settings": {"url": store.url, "consumer_key": CONSUMER_KEY, "consumer_secret": CONSUMER_SECRET}}).get_json()
    (secret,) = {r.body["secret"] for r in store.calls("POST", "webhooks")}
    body = wp_json(order("order_727_processing"))
    assert post_hook(client, installation["id"], body, "order.created", "d-727-1", secret).status_code == 200
    run_jobs()
    delivery = by_order(client, tenant, "727")
    to_dispatch = {"needs_attention": ("assigned", "dispatched"), "received": ("dispatched",),
                   "assigned": ("dispatched",), "planned": ("dispatched",), "dispatched": ()}[delivery["status"]]
    move(clean, delivery["id"], *to_dispatch, "in_transit", "failed_attempt")
    run_jobs()  # the recovery policy reschedules; the store hears of the failed attempt

    page = urlsplit(delivery["tracking_url"]).path + "/next"
    html = client.get(page).get_data(as_text=True)
    nonce = re.search(r'name="nonce" value="([^"]+)"', html).group(1)  # type: ignore[union-attr]
    chosen = client.post(page, data={"nonce": nonce, "choice": "leave", "leave": "neighbour",
                                     "instructions": "Herr Braun, door 4B"})
    assert chosen.status_code == 200, chosen.get_data(as_text=True)
    run_jobs()
    notes = [s.body for s in store.seen if s.method == "POST" and s.path == "orders/727/notes"]
    assert notes[-1]["customer_note"] is False  # for the shop's staff: the recipient chose it themselves
    assert notes[-1]["note"].startswith("The recipient asked us to leave the parcel with a neighbour: Herr Braun, "
                                        "door 4B. Next attempt: ")
    assert notes[-1]["note"].endswith(f"(Delivery Hub {delivery['id']})")
    events = client.get(f"/api/v1/deliveries/{delivery['id']}/events", headers=tenant["headers"]).get_json()["items"]
    assert any(e["type"] == "delivery.written_back" and e["data"].get("note") == notes[-1]["note"] for e in events)


def test_a_pickup_point_reaches_the_store_and_survives_its_next_update(client: Any, tenant: dict[str, Any],
                                                                       run_jobs: Any, clean: Any, store: WooStandIn) -> None:
    """The recipient picks one of the tenant's pickup points: the store's staff get a private note naming it (and
    the recipient's own address, which stays the order's); the store's next update of the order, with that
    address unchanged, keeps the delivery going to the point."""
    installation = client.post("/api/v1/installations", headers=tenant["headers"], json={
        "connector": "woocommerce",
        "settings": {"url": store.url, "consumer_key": CONSUMER_KEY, "consumer_secret": CONSUMER_SECRET}}).get_json()
    assert client.put("/api/v1/settings/slots", headers=tenant["headers"], json={"pickup_points": [
        {"id": "kiosk-1", "name": "Corner Kiosk", "address": "1 Market St", "line1": "1 Market St",
         "postal_code": "M5V 1A1", "city": "Toronto", "country": "CA", "lat": 43.6453, "lng": -79.3806}]}).status_code == 200
    (secret,) = {r.body["secret"] for r in store.calls("POST", "webhooks")}
    assert post_hook(client, installation["id"], wp_json(order("order_727_processing")), "order.created", "d-727-1",
                     secret).status_code == 200
    run_jobs()
    delivery = by_order(client, tenant, "727")
    to_dispatch = {"needs_attention": ("assigned", "dispatched"), "received": ("dispatched",),
                   "assigned": ("dispatched",), "planned": ("dispatched",), "dispatched": ()}[delivery["status"]]
    move(clean, delivery["id"], *to_dispatch, "in_transit", "failed_attempt")
    run_jobs()
    home = delivery["dropoff"]["address"]

    page = urlsplit(delivery["tracking_url"]).path + "/next"
    nonce = re.search(r'name="nonce" value="([^"]+)"', client.get(page).get_data(as_text=True)).group(1)  # type: ignore[union-attr]
    chosen = client.post(page, data={"nonce": nonce, "choice": "pickup", "pickup_point": "kiosk-1"})
    assert chosen.status_code == 200, chosen.get_data(as_text=True)
    run_jobs()
    notes = [s.body for s in store.seen if s.method == "POST" and s.path == "orders/727/notes"]
    assert notes[-1]["customer_note"] is False
    assert notes[-1]["note"].startswith("The recipient will collect the parcel at pickup point Corner Kiosk "
                                        "(1 Market St, M5V 1A1 Toronto); their own address stays ")
    assert home["line1"] in notes[-1]["note"]

    updated = order("order_727_processing", customer_note="Please call on arrival",
                    date_modified_gmt="2031-01-01T00:00:00")
    assert post_hook(client, installation["id"], wp_json(updated), "order.updated", "d-727-2", secret).status_code == 200
    run_jobs()
    after = by_order(client, tenant, "727")
    assert after["dropoff"]["pickup_point"]["id"] == "kiosk-1"
    assert after["dropoff"]["pickup_point"]["customer_address"] == home
    assert after["dropoff"]["address"]["line1"] == "1 Market St"
    assert after["notes"] == "Please call on arrival"  # the update itself was applied
