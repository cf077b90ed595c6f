"""Slots at the stores' checkouts: Shopify's carrier-calculated rates from the slot engine (signed like its
webhooks), and a held window carried by a store order (Shopify cart attribute, WooCommerce order meta, Magento
extension attribute) becoming the delivery's promised window."""

from __future__ import annotations

import json
from typing import Any

from pytest_httpserver import HTTPServer

from connectors.magento import CONNECTOR as MAGENTO
from connectors.magento.mapping import to_delivery as magento_to_delivery
from connectors.shopify.tests.conftest import SHOP, api
from connectors.shopify.webhooks import TOPICS, sign
from connectors.woocommerce.mapping import slot_reservation as woo_slot_reservation
from hub.paths import REPO_ROOT
from hub.testing.golden import build_context
from tests.slots.setup import ALEX, berlin_fleet, query, tomorrow

GOLDEN = REPO_ROOT / "connectors"
SECRET = "shpss_slots_secret"
ORDER = json.loads((REPO_ROOT / "connectors" / "shopify" / "tests" / "fixtures" / "golden" / "apartment_vip.input.json")
                   .read_text(encoding="utf-8"))


def _install(httpserver: HTTPServer, client: Any, tenant: dict[str, Any]) -> str:
    httpserver.expect_oneshot_request(api("webhooks.json"), "GET").respond_with_json({"webhooks": []})
    for number, _ in enumerate(TOPICS):
        httpserver.expect_oneshot_request(api("webhooks.json"), "POST").respond_with_json({"webhook": {"id": 900 + number}}, status=201)
    response = client.post("/api/v1/installations", headers=tenant["headers"], json={
        "connector": "shopify", "settings": {"shop": SHOP, "access_token": "shpat_slots", "client_secret": SECRET,
                                             "api_version": "2026-07", "api_url": httpserver.url_for("/").rstrip("/")}})
    assert response.status_code == 201, response.get_json()
    return response.get_json()["id"]  # type: ignore[no-any-return]


def _signed(client: Any, path: str, body: dict[str, Any], secret: str = SECRET, **headers: str) -> Any:
    raw = json.dumps(body).encode()
    return client.post(path, data=raw, headers={"X-Shopify-Hmac-Sha256": sign(secret, raw), "X-Shopify-Shop-Domain": SHOP,
                                                 "Content-Type": "application/json", **headers})


RATE_REQUEST = {"rate": {
    "origin": {"country": "DE", "postal_code": "10557", "city": "Berlin", "address1": "Europaplatz 1"},
    "destination": {"country": "DE", "postal_code": "10178", "city": "Berlin", "address1": "Alexanderplatz 1",
                    "latitude": ALEX[0], "longitude": ALEX[1]},
    "items": [{"name": "Tulips", "sku": "TULIP", "quantity": 1, "grams": 1800, "price": 3900, "requires_shipping": True}],
    "currency": "EUR", "locale": "de"}}


def test_shopify_checkout_gets_one_rate_per_open_window(httpserver: HTTPServer, client: Any, tenant: dict[str, Any]) -> None:
    berlin_fleet(client, tenant)
    client.put("/api/v1/settings/slots", json={"price": "4.90"}, headers=tenant["headers"])
    installation = _install(httpserver, client, tenant)
    answer = _signed(client, f"/hooks/{installation}/shopify-rates", RATE_REQUEST)
    assert answer.status_code == 200, answer.get_json()
    rates = answer.get_json()["rates"]
    assert rates and all(r["total_price"] == "490" and r["currency"] == "EUR" for r in rates)
    day = tomorrow().isoformat()
    opened = [w for w in query(client, tenant["headers"], tomorrow(), lat=ALEX[0], lng=ALEX[1]).get_json()["windows"] if w["open"]]
    tomorrow_rates = [r for r in rates if r["min_delivery_date"].startswith(day)]
    assert [r["service_code"] for r in tomorrow_rates] == [f"hub-slot:{w['start']}/{w['end']}" for w in opened]
    assert tomorrow_rates[0]["min_delivery_date"].endswith("+0000")
    forged = _signed(client, f"/hooks/{installation}/shopify-rates", RATE_REQUEST, secret="wrong")
    assert forged.status_code == 401
    far = json.loads(json.dumps(RATE_REQUEST))
    far["rate"]["destination"].update({"postal_code": "80331", "latitude": 48.137, "longitude": 11.575})
    assert _signed(client, f"/hooks/{installation}/shopify-rates", far).get_json() == {"rates": []}


def test_a_shopify_order_with_the_pickers_cart_attribute_confirms_the_hold(
        httpserver: HTTPServer, client: Any, tenant: dict[str, Any], run_jobs: Any) -> None:
    berlin_fleet(client, tenant, parcels=10)
    installation = _install(httpserver, client, tenant)
    window = next(w for w in query(client, tenant["headers"], tomorrow(), lat=ALEX[0], lng=ALEX[1]).get_json()["windows"]
                  if w["open"])
    held = client.post("/api/v1/slots/reservations", json={"window_start": window["start"], "postal_code": "10178",
                                                            "lat": ALEX[0], "lng": ALEX[1]}, headers=tenant["headers"]).get_json()
    order = {**ORDER, "note_attributes": [*ORDER.get("note_attributes", []), {"name": "hub_slot_reservation", "value": held["id"]}]}
    assert _signed(client, f"/hooks/{installation}", order, **{"X-Shopify-Topic": "orders/create",
                                                               "X-Shopify-Webhook-Id": "wh-slot-1"}).status_code == 200
    run_jobs()
    shown = client.get(f"/api/v1/slots/reservations/{held['id']}", headers=tenant["headers"]).get_json()
    assert shown["state"] == "confirmed"
    delivery = client.get(f"/api/v1/deliveries/{shown['delivery_id']}", headers=tenant["headers"]).get_json()
    assert delivery["promised_window"] == {"start": window["start"], "end": window["end"]}
    assert "hub_slot_reservation" not in (delivery["dropoff"].get("access") or {}).get("instructions", "")


def test_woocommerce_meta_and_magento_extension_attribute_carry_the_hold() -> None:
    woo = json.loads((GOLDEN / "woocommerce" / "tests" / "fixtures" / "golden" / "apartment_weights_entities.input.json").read_text())
    woo["meta_data"] = [*woo.get("meta_data", []), {"id": 1, "key": "_hub_slot_reservation", "value": "slr_woo"}]
    assert woo_slot_reservation(woo) == "slr_woo"
    magento = json.loads((GOLDEN / "magento" / "tests" / "fixtures" / "golden" / "magento_order_1.input.json").read_text())
    magento.setdefault("extension_attributes", {})["hub_slot_reservation"] = "slr_mag"
    settings = json.loads((GOLDEN / "magento" / "tests" / "fixtures" / "settings.json").read_text())
    mapped = magento_to_delivery(magento, build_context(MAGENTO, settings))
    assert mapped.delivery is not None and mapped.delivery["slot_reservation_id"] == "slr_mag"
