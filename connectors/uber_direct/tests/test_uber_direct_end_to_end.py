"""Uber Direct at the hub: assigned -> created at Uber (stand-in) -> dispatched; Uber's signed webhooks arrive at
the installation's inbound URL, are verified and stored, and their reports move the delivery to delivered."""

from __future__ import annotations

import json
from datetime import date, timedelta

from pytest_httpserver import HTTPServer
from sqlalchemy import select

from connectors.uber_direct.webhooks import signature
from hub.capacity.carrier_jobs import apply_inbound_report
from hub.db.engine import transaction
from hub.db.models import InboxItem, Installation
from hub.inbox import as_request
from hub.installations import connector_for
from tests.capacity.setup import delivery_input, post

from .test_uber_direct import FIXTURES, KEY, SETTINGS


def test_uber_delivery_from_offer_to_delivered(client, tenant, run_jobs, clean, httpserver: HTTPServer):
    h = tenant["headers"]
    httpserver.expect_request("/oauth/v2/token").respond_with_json({"access_token": "tok", "expires_in": 3600})
    httpserver.expect_request(f"/v1/customers/{SETTINGS['customer_id']}/deliveries", method="POST").respond_with_json(
        {"id": "del_gDcyfRgyQcyN0obpqqS_1B", "status": "pending"})
    installation = post(client, h, "/api/v1/installations", {"connector": "uber_direct", "register_webhooks": False,
        "settings": {**SETTINGS, "api_url": httpserver.url_for("/v1"), "auth_url": httpserver.url_for("/oauth/v2/token")}})
    uber = post(client, h, "/api/v1/carriers", {"name": "Uber Direct", "kind": "crowd",
                                               "installation_id": installation["id"], "coverage": {"postal_prefixes": ["M"]}})
    # Uber's proof is a pair of image links the hub does not copy yet, so it cannot satisfy a delivery that
    # requires a signature (that one would be held with a pod_incomplete exception): this one requires none.
    delivery_id = post(client, h, "/api/v1/deliveries", delivery_input("ORD-UBER", requirements={}))["id"]
    run_jobs()
    got = client.get(f"/api/v1/deliveries/{delivery_id}/assignment", headers=h).json
    assert "carrier_id" in got, (got, client.get(f"/api/v1/deliveries/{delivery_id}/events", headers=h).json)
    assert got["carrier_id"] == uber["id"] and got["external_ref"] == "del_gDcyfRgyQcyN0obpqqS_1B"
    assert client.get(f"/api/v1/deliveries/{delivery_id}", headers=h).json["status"] == "dispatched"

    yesterday = (date.today() - timedelta(days=1)).isoformat()
    for name in ("pickup_pending", "dropoff_imminent", "delivered_with_proof"):
        # Uber's times as if it all happened yesterday: a report is never ahead of the hub's clock.
        text = (FIXTURES / f"{name}.input.json").read_text().replace("2026-11-25T", f"{yesterday}T")
        webhook = json.loads(text)
        webhook["data"]["external_id"] = got["job_id"]
        body = json.dumps(webhook).encode()
        response = client.post(f"/hooks/{installation['id']}", data=body,
                               headers={"content-type": "application/json", "x-uber-signature": signature(KEY, body)})
        assert response.status_code == 200, response.json
    forged = client.post(f"/hooks/{installation['id']}", data=b'{"kind": "event.delivery_status"}',
                         headers={"x-uber-signature": "00" * 32})
    assert forged.status_code == 401

    # What the ingest job does for a carrier installation (see hub.capacity.carrier_jobs.apply_inbound_report).
    with transaction(clean.sessions) as session:
        inbox = select(InboxItem).where(InboxItem.installation_id == installation["id"]).order_by(InboxItem.id)
        for item in session.execute(inbox).scalars():
            connector = connector_for(clean.registry, session.get(Installation, item.installation_id))
            for event in connector.parse(as_request(item)):
                if event.kind in ("status", "pod"):
                    apply_inbound_report(session, item.installation_id, event.external_id, event.payload)
    events = client.get(f"/api/v1/deliveries/{delivery_id}/events", headers=h).json["items"]
    steps = [(e["type"], e["data"].get("status")) for e in events]
    assert steps[-4:] == [("delivery.status_changed", "arriving"), ("delivery.pod_captured", None),
                          ("delivery.status_changed", "delivered"), ("delivery.handoff", None)]
    assert events[-3]["data"]["recipient_name"] == "Priya N." and events[-3]["actor"]["id"] == uber["id"]
