"""hub_carrier against the connector contract kit, plus its protocol: offers over real HTTP, reports in."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
import requests
from pytest_httpserver import HTTPServer
from standardwebhooks.webhooks import Webhook
from werkzeug import Request, Response

from connectors.hub_carrier import CONNECTOR
from connectors.hub_carrier.mapping import canonical_status, status_table
from hub.plugins import load_settings
from hub.testing import ConnectorContract, make_request
from hub.testing.golden import FIXED_NOW

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
SETTINGS = {"endpoint_url": "https://carrier.example/offers", "secret": SECRET}
FIXTURES = Path(__file__).parent / "fixtures"


def signed_request(body: bytes, message_id: str = "msg-1", *, secret: str = SECRET, at=FIXED_NOW):
    stamp = str(int(at.timestamp()))
    signature = Webhook(secret).sign(message_id, at, body.decode())
    return make_request(body, {"webhook-id": message_id, "webhook-timestamp": stamp, "webhook-signature": signature})


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


class TestHubCarrierContract(ConnectorContract):
    connector = "hub_carrier"
    payloads = FIXTURES


def connector(**settings):
    return CONNECTOR.create(load_settings(CONNECTOR, {**SETTINGS, **settings}))


def test_reports_parse_into_status_and_pod_events():
    hub = connector()
    (status,) = hub.parse(signed_request(fixture("status_picked_up.json")))
    assert (status.kind, status.external_id, status.payload["data"]["status"]) == ("status", "job_01JP9TNM0075118QMJA5TPAZZE", "picked_up")
    assert status.occurred_at is not None and status.occurred_at.tzinfo is not None
    (pod,) = hub.parse(signed_request(fixture("pod_captured.json")))
    assert pod.kind == "pod" and pod.payload["data"]["recipient_name"] == "L. Schmidt"
    (odd,) = hub.parse(make_request({"type": "delivery.status_changed", "job_id": "job_x", "data": {"status": "teleported"}}))
    assert odd.kind == "ignored" and "teleported" in odd.reason


def test_old_signatures_are_refused():
    body = fixture("status_picked_up.json")
    stale = signed_request(body, at=FIXED_NOW - timedelta(minutes=6))
    assert not connector().verify(stale).ok
    assert connector().verify(signed_request(body, at=FIXED_NOW - timedelta(minutes=4))).ok


def test_status_table_is_valid_and_unknown_codes_warn():
    assert set(status_table().values()) <= {"picked_up", "in_transit", "arriving", "delivered", "failed_attempt",
                                            "rescheduled", "returned"}
    assert canonical_status("Out_For_Delivery")[0] == "in_transit"
    status, warning = canonical_status("beamed")
    assert status == "unknown" and warning is not None and warning.code == "carrier_status_unknown"


@pytest.fixture
def carrier_server(httpserver: HTTPServer) -> HTTPServer:
    return httpserver


def _offer_handler(answer, seen):
    def handle(request: Request) -> Response:
        seen.append(Webhook(SECRET).verify(request.get_data(as_text=True), dict(request.headers)))
        return Response(json.dumps(answer), content_type="application/json")
    return handle


def test_dispatch_accept_and_reject_over_http(carrier_server):
    job = json.loads((Path(__file__).parents[3] / "schemas" / "examples" / "carrier_job.v1.json").read_text())
    seen: list = []
    carrier_server.expect_oneshot_request("/offers", method="POST").respond_with_handler(
        _offer_handler({"accepted": True, "reference": "R-1"}, seen))
    carrier_server.expect_oneshot_request("/offers", method="POST").respond_with_handler(
        _offer_handler({"accepted": False, "reason": "outside our area"}, seen))
    hub = connector(endpoint_url=carrier_server.url_for("/offers"))
    first, second = hub.dispatch(job), hub.dispatch(job)
    assert first.accepted and first.external_ref == "R-1"
    assert not second.accepted and second.reason == "outside our area"
    assert seen[0] == {"type": "carrier.job.offered", "timestamp": seen[0]["timestamp"], "data": job}


def test_dispatch_errors_surface_for_the_hub_to_classify(carrier_server):
    carrier_server.expect_oneshot_request("/offers").respond_with_data("busy", status=503)
    carrier_server.expect_oneshot_request("/offers").respond_with_data("<html>ok</html>", status=200)
    hub = connector(endpoint_url=carrier_server.url_for("/offers"))
    with pytest.raises(requests.HTTPError) as unavailable:
        hub.dispatch({"job_id": "job_1"})
    assert unavailable.value.response.status_code == 503
    with pytest.raises(requests.HTTPError):
        hub.dispatch({"job_id": "job_1"})  # 200 without a JSON answer is no answer


def test_cancel_is_signed_and_names_the_reference(carrier_server):
    seen: list = []
    carrier_server.expect_oneshot_request("/offers", method="POST").respond_with_handler(
        _offer_handler({"ok": True}, seen))
    connector(endpoint_url=carrier_server.url_for("/offers")).cancel("R-1", "customer cancelled")
    assert seen[0]["type"] == "carrier.job.cancelled" and seen[0]["data"] == {"reference": "R-1", "reason": "customer cancelled"}
