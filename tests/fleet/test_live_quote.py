"""A carrier set to live quotes is priced by its connector's quote for the job, not by its price card."""

from __future__ import annotations

from pytest_httpserver import HTTPServer

from connectors.uber_direct.tests.test_uber_direct import SETTINGS
from tests.fleet.setup import carrier, delivery_input, post


def test_live_quote_replaces_the_price_card(client, tenant, run_jobs, clean, httpserver: HTTPServer):
    h = tenant["headers"]
    httpserver.expect_request("/oauth/v2/token", method="POST").respond_with_json(
        {"access_token": "tok-1", "expires_in": 2592000, "token_type": "Bearer", "scope": "eats.deliveries"})
    httpserver.expect_request(f"/v1/customers/{SETTINGS['customer_id']}/delivery_quotes", method="POST").respond_with_json(
        {"kind": "delivery_quote", "id": "dqt_1", "fee": 1299, "currency": "cad", "currency_type": "CAD",
         "dropoff_eta": "2030-11-25T16:00:00Z", "expires": "2030-11-25T15:20:00Z", "duration": 35})
    installation = post(client, h, "/api/v1/installations", {"connector": "uber_direct", "settings": {
        **SETTINGS, "api_url": httpserver.url_for("/v1"), "auth_url": httpserver.url_for("/oauth/v2/token")}})
    expensive_card = {"currency": "CAD", "base": "40.00", "per_km": "0.40", "per_kg": "0.10"}
    uber = carrier(client, h, "Uber Direct", price_card=expensive_card, installation_id=installation["id"],
                   live_quote=True)
    other = carrier(client, h, "Courier Co", price_card={**expensive_card, "base": "20.00"})

    delivery_id = post(client, h, "/api/v1/deliveries", delivery_input("ORD-Q"))["id"]
    run_jobs()
    decision = client.get(f"/api/v1/deliveries/{delivery_id}/assignment", headers=h).json
    assert decision["capacity"] == "carrier" and decision["decision"]["chosen"] == uber["id"], decision
    assert any("delivery_quotes" in request.path for request, _ in httpserver.log)
    rows = {r["candidate_id"]: r for r in decision["decision"]["candidates"]}
    assert rows[uber["id"]]["rank"] == 1 and rows[other["id"]]["rank"] == 2  # the card alone would rank it last
