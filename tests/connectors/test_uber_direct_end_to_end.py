"""Uber Direct at the hub: assigned -> created at Uber (stand-in) -> dispatched; Uber's signed webhooks arrive at
the installation's inbound URL, are verified and stored, and their reports move the delivery to delivered once
the hub has downloaded Uber's signature and photo (served by the stand-in) as the proof the delivery requires."""

from __future__ import annotations

import hashlib
import json
from datetime import date, timedelta

from pytest_httpserver import HTTPServer

from connectors.uber_direct.tests.test_uber_direct import FIXTURES, KEY, SETTINGS
from connectors.uber_direct.webhooks import signature
from hub.paths import REPO_ROOT
from tests.fleet.setup import delivery_input, post

EXECUTION_FIXTURES = REPO_ROOT / "tests" / "execution" / "fixtures"  # real PNGs


def test_uber_delivery_from_offer_to_delivered(client, tenant, run_jobs, clean, httpserver: HTTPServer):
    h = tenant["headers"]
    httpserver.expect_request("/oauth/v2/token").respond_with_json({"access_token": "tok", "expires_in": 3600})
    httpserver.expect_request(f"/v1/customers/{SETTINGS['customer_id']}/deliveries", method="POST").respond_with_json(
        {"id": "del_gDcyfRgyQcyN0obpqqS_1B", "status": "pending"})
    installation = post(client, h, "/api/v1/installations", {"connector": "uber_direct", "register_webhooks": False,
        "settings": {**SETTINGS, "api_url": httpserver.url_for("/v1"), "auth_url": httpserver.url_for("/oauth/v2/token")}})
    uber = post(client, h, "/api/v1/carriers", {"name": "Uber Direct", "kind": "crowd",
                                               "installation_id": installation["id"], "coverage": {"postal_prefixes": ["M"]}})
    # Uber keeps the signature and the door photo as image links; the stand-in serves them.
    images = {name: (EXECUTION_FIXTURES / name).read_bytes() for name in ("signature.png", "door.png")}
    for name, data in images.items():
        httpserver.expect_request(f"/proof/{name}").respond_with_data(data, content_type="image/png")
    delivery_id = post(client, h, "/api/v1/deliveries", delivery_input("ORD-UBER"))["id"]  # signature + photo
    run_jobs()
    got = client.get(f"/api/v1/deliveries/{delivery_id}/assignment", headers=h).json
    assert "carrier_id" in got, (got, client.get(f"/api/v1/deliveries/{delivery_id}/events", headers=h).json)
    assert got["carrier_id"] == uber["id"] and got["external_ref"] == "del_gDcyfRgyQcyN0obpqqS_1B"
    assert client.get(f"/api/v1/deliveries/{delivery_id}", headers=h).json["status"] == "dispatched"

    yesterday = (date.today() - timedelta(days=1)).isoformat()
    for name in ("pickup_pending", "dropoff_imminent", "delivered_with_proof"):
        # Uber's times as if it all happened yesterday: a report is never ahead of the hub's clock.
        text = (FIXTURES / f"{name}.input.json").read_text().replace("2026-11-25T", f"{yesterday}T")
        text = text.replace("https://example.uber.com/sig.png", httpserver.url_for("/proof/signature.png"))
        text = text.replace("https://example.uber.com/door.jpg", httpserver.url_for("/proof/door.png"))
        webhook = json.loads(text)
        webhook["data"]["external_id"] = got["job_id"]
        body = json.dumps(webhook).encode()
        response = client.post(f"/hooks/{installation['id']}", data=body,
                               headers={"content-type": "application/json", "x-uber-signature": signature(KEY, body)})
        assert response.status_code == 200, response.json
    forged = client.post(f"/hooks/{installation['id']}", data=b'{"kind": "event.delivery_status"}',
                         headers={"x-uber-signature": "00" * 32})
    assert forged.status_code == 401

    run_jobs()  # ingest applies the reports; the proof's images are downloaded, then delivered applies
    events = client.get(f"/api/v1/deliveries/{delivery_id}/events", headers=h).json["items"]
    steps = [(e["type"], e["data"].get("code") if e["type"].endswith("_ignored") else e["data"].get("status"))
             for e in events]
    # The delivered waited (without an alarm) for the proof being downloaded, then applied with Uber's time.
    assert steps[-5:] == [("delivery.status_changed", "arriving"), ("delivery.carrier_report_ignored", "pod_pending"),
                          ("delivery.pod_captured", None), ("delivery.status_changed", "delivered"),
                          ("delivery.handoff", None)]
    assert "delivery.exception" not in [e["type"] for e in events]
    pod = events[-3]["data"]
    assert pod["recipient_name"] == "Priya N." and events[-3]["actor"]["id"] == uber["id"]
    assert pod["signature"]["sha256"] == hashlib.sha256(images["signature.png"]).hexdigest()
    assert [p["sha256"] for p in pod["photos"]] == [hashlib.sha256(images["door.png"]).hexdigest()]
    assert events[-2]["occurred_at"].startswith(f"{yesterday}T15:12:4")
    custody = client.get(f"/api/v1/deliveries/{delivery_id}/custody", headers=h).json
    assert custody["ok"] is True and len(custody["media"]) == 2  # the hub's own copies, hashes re-checked
