"""Uber Direct: the contract kit, webhook golden files, and the Direct API over real HTTP (pytest-httpserver
standing in for Uber's auth and API servers, the connector's own requests client)."""

from __future__ import annotations

import json
import os
from decimal import Decimal
from pathlib import Path

import pytest
import requests
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from connectors.uber_direct import CONNECTOR
from connectors.uber_direct.mapping import canonical_status, delivery_request, status_table
from connectors.uber_direct.webhooks import signature
from hub.plugins import load_settings
from hub.testing import PAYLOADS_DIR, SCHEMAS_DIR, ConnectorContract, make_request, validate_carrier_report

FIXTURES = Path(__file__).parent / "fixtures"
KEY = "uber-signing-key-0123456789"
SETTINGS = {"customer_id": "a11e6f29-6850-4d8d-b88d-0ae69cec1111", "client_id": "client-1",
            "client_secret": "client-secret-123", "webhook_signing_key": KEY, "pickup_name": "Queen West Flowers",
            "pickup_phone_number": "+14165550100"}
CASES = sorted(p.name.removesuffix(".input.json") for p in FIXTURES.glob("*.input.json"))


def signed(name: str, key: str = KEY):
    body = (FIXTURES / f"{name}.input.json").read_bytes()
    return make_request(body, {"x-uber-signature": signature(key, body)})


class TestUberDirectContract(ConnectorContract):
    connector = "uber_direct"
    payloads = FIXTURES


def connector(**settings):
    return CONNECTOR.create(load_settings(CONNECTOR, {**SETTINGS, **settings}))


def test_uber_documented_signature_example():
    notes = json.loads((PAYLOADS_DIR / "carrier_webhook_signature_notes.json").read_text())
    example = notes["uber_direct"]["doc_example"]
    digest = signature(example["secret"], example["payload"].encode())
    assert digest.startswith(example["expected_hex_as_far_as_the_stored_excerpt_shows"])
    assert digest == example["computed_full_hex_locally"]
    older = make_request(example["payload"].encode(), {"X-Postmates-Signature": digest})
    assert connector(webhook_signing_key=example["secret"]).verify(older).ok


@pytest.mark.parametrize("name", CASES)
def test_webhook_golden(name: str):
    events = connector().parse(signed(name))
    got = [{"kind": e.kind, "external_id": e.external_id, "payload": dict(e.payload),
            "occurred_at": e.occurred_at.isoformat() if e.occurred_at else None, "reason": e.reason} for e in events]
    expected_file = FIXTURES / f"{name}.expected.json"
    if os.environ.get("HUB_UPDATE_GOLDEN") or not expected_file.exists():
        expected_file.write_text(json.dumps(got, indent=2, ensure_ascii=False) + "\n")
    assert got == json.loads(expected_file.read_text())
    for event in events:  # what the connector reports is what the hub's carrier API accepts
        if event.kind in ("status", "pod"):
            assert validate_carrier_report(dict(event.payload)) == []


def test_status_table_loads_and_unknown_codes_warn():
    assert set(status_table()) == {"pending", "pickup", "pickup_complete", "dropoff", "delivered", "canceled", "returned"}
    assert canonical_status("dropoff", courier_imminent=True)[0] == "arriving"
    status, warning = canonical_status("teleported")
    assert status == "unknown" and warning.code == "carrier_status_unknown"


def _job() -> dict:
    job = json.loads((SCHEMAS_DIR / "examples" / "carrier_job.v1.json").read_text())
    job["pickup"]["address"]["geo"] = {"lat": 52.5265, "lng": 13.4023}
    return job


def test_delivery_request_maps_the_carrier_job():
    request = delivery_request(_job(), SETTINGS)
    assert request["external_id"] == request["idempotency_key"] == "job_01JP9TNM0075118QMJA5TPAZZE"
    assert json.loads(request["dropoff_address"]) == {"street_address": ["Torstraße 109", "Hinterhaus 3. OG links"],
                                                      "city": "Berlin", "zip_code": "10119", "country": "DE"}
    assert request["manifest_total_value"] == 2340 and request["manifest_reference"] == "#1042"
    assert request["manifest_items"][0] == {"name": "Sourdough loaf, 1 kg", "quantity": 2, "weight": 1050,
                                            "dimensions": {"length": 30, "height": 12, "depth": 15}}
    assert request["manifest_items"][1]["must_be_upright"] is True
    assert request["dropoff_verification"] == {"picture": True}
    assert request["dropoff_deadline_dt"] == "2025-03-14T16:00:00+01:00" and len(request["dropoff_notes"]) <= 280


@pytest.fixture
def uber(httpserver: HTTPServer) -> HTTPServer:
    httpserver.expect_request("/oauth/v2/token", method="POST").respond_with_json(
        {"access_token": "tok-1", "expires_in": 2592000, "token_type": "Bearer", "scope": "eats.deliveries"})
    return httpserver


def _api(server: HTTPServer):
    return connector(api_url=server.url_for("/v1"), auth_url=server.url_for("/oauth/v2/token"))


def test_dispatch_creates_the_delivery(uber: HTTPServer):
    seen = []

    def create(request: Request) -> Response:
        seen.append((request.headers.get("Authorization"), request.get_json()))
        return Response(json.dumps({"id": "del_gDcyfRgyQcyN0obpqqS_1B", "status": "pending", "fee": 1299}),
                        content_type="application/json")

    path = f"/v1/customers/{SETTINGS['customer_id']}/deliveries"
    uber.expect_oneshot_request(path, method="POST").respond_with_handler(create)
    result = _api(uber).dispatch(_job())
    assert result.accepted and result.external_ref == "del_gDcyfRgyQcyN0obpqqS_1B"
    assert seen[0][0] == "Bearer tok-1" and seen[0][1]["idempotency_key"] == "job_01JP9TNM0075118QMJA5TPAZZE"


def test_an_undeliverable_address_is_a_refusal_and_outages_raise(uber: HTTPServer):
    path = f"/v1/customers/{SETTINGS['customer_id']}/deliveries"
    uber.expect_oneshot_request(path).respond_with_json(
        {"code": "address_undeliverable", "message": "The specified location is not in a deliverable area.",
         "kind": "error"}, status=400)
    uber.expect_oneshot_request(path).respond_with_json({"code": "service_unavailable"}, status=503)
    hub = _api(uber)
    refused = hub.dispatch(_job())
    assert not refused.accepted and refused.reason.startswith("address_undeliverable:")
    with pytest.raises(requests.HTTPError) as outage:
        hub.dispatch(_job())
    assert outage.value.response.status_code == 503


def test_a_job_without_a_phone_is_refused_before_calling_uber(uber: HTTPServer):
    job = _job()
    del job["dropoff"]["contact"]["phone"]
    result = _api(uber).dispatch(job)
    assert not result.accepted and "dropoff_phone_number" in result.reason


def test_quote_and_cancel(uber: HTTPServer):
    base = f"/v1/customers/{SETTINGS['customer_id']}"
    uber.expect_oneshot_request(f"{base}/delivery_quotes", method="POST").respond_with_json(
        {"kind": "delivery_quote", "id": "dqt_1", "fee": 1299, "currency": "cad", "currency_type": "CAD",
         "dropoff_eta": "2026-11-25T16:00:00Z", "expires": "2026-11-25T15:20:00Z", "duration": 35})
    uber.expect_oneshot_request(f"{base}/deliveries/del_1/cancel", method="POST").respond_with_json({"id": "del_1"})
    hub = _api(uber)
    quote = hub.quote(_job())
    assert quote.amount == Decimal("12.99") and quote.currency == "CAD" and quote.eta.hour == 16
    hub.cancel("del_1", "customer cancelled")
    uber.check_assertions()
