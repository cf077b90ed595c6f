"""Outbound pick_by: a real HTTP POST to a stand-in warehouse (pytest-httpserver), whose signature the
standardwebhooks package verifies exactly as a warehouse would."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest
import requests
from pytest_httpserver import HTTPServer
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError
from werkzeug import Request, Response

from hub.plugins import TransientError
from hub.testing import classify_exception
from hub.plugins import load_settings, require, supports

from connectors.wms import CONNECTOR
from connectors.wms.tests.signing import PICK_BY_SECRET, SECRET

PICK_BY = datetime(2025, 3, 15, 7, 45, tzinfo=timezone.utc)
DELIVERY = {
    "id": "dlv_01JHGZ6X8Y3K4M5N6P7Q8R9S0T", "status": "planned", "service_level": "next_day",
    "source": {"connector": "shopify", "installation_id": "ins_1", "external_id": "820982911946154508",
               "external_order_number": "#9999", "store": "maple-goods.myshopify.com"},
    "promised_window": {"start": "2025-03-15T10:00:00-04:00", "end": "2025-03-15T12:00:00-04:00"},
    "parcels": [{"sku": "SHOE-1", "quantity": 1, "weight_g": 1200}],
}


def _warehouse(httpserver: HTTPServer, **extra: str):
    settings = load_settings(CONNECTOR, {"webhook_secret": SECRET, "location_id": "wh-berlin-1",
                                         "pick_by_url": httpserver.url_for("/hub/pick-by"),
                                         "pick_by_secret": PICK_BY_SECRET, **extra})
    return CONNECTOR.create(settings)


def test_pick_by_is_posted_signed_and_verifies_with_standardwebhooks(httpserver: HTTPServer):
    received: list[Request] = []

    def handler(request: Request) -> Response:
        received.append(request)
        return Response("", status=204)

    httpserver.expect_oneshot_request("/hub/pick-by", method="POST").respond_with_handler(handler)
    connector = _warehouse(httpserver)
    assert supports(connector, "push_pick_by")
    require(connector, "push_pick_by").send_pick_by(DELIVERY, PICK_BY)
    httpserver.check_assertions()

    [request] = received
    body = Webhook(PICK_BY_SECRET).verify(request.get_data(), dict(request.headers))  # raises if the signature is wrong
    assert body == {
        "type": "pick_by", "delivery_id": DELIVERY["id"], "pick_by": "2025-03-15T07:45:00Z",
        "order": {"connector": "shopify", "installation_id": "ins_1", "external_id": "820982911946154508",
                  "external_order_number": "#9999", "store": "maple-goods.myshopify.com"},
        "location_id": "wh-berlin-1", "service_level": "next_day",
        "promised_window": DELIVERY["promised_window"], "parcels": DELIVERY["parcels"],
    }
    assert request.headers["content-type"] == "application/json"
    with pytest.raises(WebhookVerificationError):
        Webhook(SECRET).verify(request.get_data(), dict(request.headers))  # the inbound secret is not used outbound


def test_the_same_pick_by_keeps_its_webhook_id_and_a_new_time_gets_a_new_one(httpserver: HTTPServer):
    ids: list[str] = []

    def handler(request: Request) -> Response:
        ids.append(request.headers["webhook-id"])
        return Response("ok")

    httpserver.expect_request("/hub/pick-by", method="POST").respond_with_handler(handler)
    connector = _warehouse(httpserver)
    connector.send_pick_by(DELIVERY, PICK_BY)
    connector.send_pick_by(DELIVERY, PICK_BY)
    connector.send_pick_by(DELIVERY, PICK_BY.replace(hour=8))
    assert ids[0] == ids[1] != ids[2]


@pytest.mark.parametrize("status, headers, kind", [
    (503, {"Retry-After": "120"}, "transient"),
    (429, {}, "transient"),
    (401, {}, "configuration"),
    (400, {}, "permanent"),
    (301, {"Location": "https://elsewhere.example"}, "permanent"),
])
def test_failures_are_classified_for_the_hub(httpserver: HTTPServer, status, headers, kind):
    httpserver.expect_request("/hub/pick-by", method="POST").respond_with_data("no", status=status, headers=headers)
    with pytest.raises((TransientError, requests.HTTPError)) as caught:
        _warehouse(httpserver).send_pick_by(DELIVERY, PICK_BY)
    assert classify_exception(caught.value) == kind
    if status == 503:
        assert caught.value.retry_after_s == 120


def test_unreachable_warehouse_is_transient():
    settings = load_settings(CONNECTOR, {"webhook_secret": SECRET, "pick_by_url": "http://127.0.0.1:9/pick-by",
                                         "pick_by_secret": PICK_BY_SECRET})
    with pytest.raises(TransientError):
        CONNECTOR.create(settings).send_pick_by(DELIVERY, PICK_BY)


def test_without_a_pick_by_url_the_capability_is_not_offered():
    connector = CONNECTOR.create(load_settings(CONNECTOR, {"webhook_secret": SECRET}))
    assert not supports(connector, "push_pick_by")
    assert supports(connector, "receive_webhook")
    assert json.dumps(repr(connector)).find("whsec_") == -1
