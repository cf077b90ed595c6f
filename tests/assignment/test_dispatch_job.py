"""The dispatch job's failure paths: a carrier that refuses the request, one that does not answer in time,
one without a connector. The delivery always ends somewhere: the next candidate, or needs_attention."""

from __future__ import annotations

import json
import time

from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from hub.db.engine import transaction
from hub.db.models.fleet import Carrier
from tests.fleet.setup import carrier, delivery_input, own_fleet, post

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


def hub_carrier(client, h, name: str, url: str, **fields):
    installation = post(client, h, "/api/v1/installations", {
        "connector": "hub_carrier", "register_webhooks": False, "settings": {"endpoint_url": url, "secret": SECRET}})
    return carrier(client, h, name, installation_id=installation["id"], **fields)


def _assignment(client, h, delivery_id):
    return client.get(f"/api/v1/deliveries/{delivery_id}/assignment", headers=h).json


def test_a_refused_request_goes_to_the_next_candidate(client, tenant, run_jobs, httpserver: HTTPServer):
    h = tenant["headers"]
    httpserver.expect_request("/offers").respond_with_json({"error": "bad job"}, status=400)
    broken = hub_carrier(client, h, "Broken API", httpserver.url_for("/offers"),
                         price_card={"currency": "CAD", "base": "1.00"})
    depot = own_fleet(client, h)
    client.put("/api/v1/assignment-policy", json={"strategy": "cheapest"}, headers=h)
    delivery_id = post(client, h, "/api/v1/deliveries", delivery_input("ORD-400"))["id"]
    run_jobs()
    got = _assignment(client, h, delivery_id)
    assert got["candidate_id"] == depot["id"] and got["capacity"] == "own_fleet"
    assert got["history"][0]["carrier_id"] == broken["id"] and got["history"][0]["state"] == "rejected"
    assert "400" in got["history"][0]["reason"]


def test_no_answer_in_time_and_nobody_left_needs_attention(client, tenant, run_jobs, clean, httpserver: HTTPServer):
    h = tenant["headers"]

    def slow(request: Request) -> Response:
        time.sleep(2.5)  # longer than the carrier's 1 s acceptance timeout below
        return Response(json.dumps({"accepted": True, "reference": "late"}), content_type="application/json")

    httpserver.expect_request("/offers").respond_with_handler(slow)
    sleepy = hub_carrier(client, h, "Sleepy", httpserver.url_for("/offers"))
    with transaction(clean.sessions) as session:  # below the API's 5 s minimum, to keep the test short
        session.get(Carrier, sleepy["id"]).acceptance_timeout_s = 1
    delivery_id = post(client, h, "/api/v1/deliveries", delivery_input("ORD-SLOW"))["id"]
    run_jobs()
    doc = client.get(f"/api/v1/deliveries/{delivery_id}", headers=h).json
    assert doc["status"] == "needs_attention"
    got = _assignment(client, h, delivery_id)
    assert got["capacity"] == "none" and got["history"][0]["state"] == "timed_out"
    row = {r["candidate_id"]: r for r in got["decision"]["candidates"]}[sleepy["id"]]
    assert row["excluded_by"] == "availability" and "did not answer" in row["detail"]
    types = [e["type"] for e in client.get(f"/api/v1/deliveries/{delivery_id}/events", headers=h).json["items"]]
    assert types[-2:] == ["delivery.status_changed", "delivery.assignment_failed"]


def test_a_carrier_without_connector_is_handed_over_by_hand(client, tenant, run_jobs):
    h = tenant["headers"]
    manual = carrier(client, h, "Phone-only courier")
    delivery_id = post(client, h, "/api/v1/deliveries", delivery_input("ORD-MAN"))["id"]
    run_jobs()
    got = _assignment(client, h, delivery_id)
    assert got["carrier_id"] == manual["id"] and got["state"] == "manual"
    doc = client.get(f"/api/v1/deliveries/{delivery_id}", headers=h).json
    assert doc["status"] == "assigned"
