"""Webhook registration and write-back against a stand-in shop (real HTTP through the ShopifyAPI library)."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
import shopify
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from connectors.shopify.tests.conftest import TOKEN, api, payload
from hub.plugins import ConfigurationError, PermanentError, RegisteredHook, TransientError

TARGET = "http://hub.test/hooks/ins_01TEST"
ORDER = "450789469"
DELIVERY = {"id": "dlv_01JH0000000000000000000000", "source": {"external_id": ORDER, "connector": "shopify"}}


def _event(status: str, ref: str | None = None, **data: Any) -> dict[str, Any]:
    return {"id": "evt_1", "type": "delivery.status_changed", "delivery_id": DELIVERY["id"], "sequence": 3,
            "occurred_at": "2025-01-15T10:00:00Z", "actor": {"kind": "system", "id": "test"},
            "data": {"status": status, "previous_status": "received", "reason": "", **data},
            "writeback": {"external_ref": ref, "refs": [ref] if ref else []},
            "tracking_url": f"http://hub.test/track/{DELIVERY['id']}"}


# -- webhook registration ---------------------------------------------------------------------------

def test_register_webhooks_creates_the_missing_topics_and_reuses_existing(httpserver: HTTPServer, connector: Any) -> None:
    httpserver.expect_oneshot_request(api("webhooks.json"), "GET", query_string={"address": TARGET},
                                      headers={"X-Shopify-Access-Token": TOKEN}).respond_with_json(
        {"webhooks": [{"id": 4759306, "topic": "orders/create", "address": TARGET, "format": "json"}]})
    for number, topic in enumerate(("orders/updated", "orders/cancelled", "app/uninstalled"), start=1):
        httpserver.expect_oneshot_request(api("webhooks.json"), "POST", headers={"X-Shopify-Access-Token": TOKEN},
                                          json={"webhook": {"topic": topic, "address": TARGET, "format": "json"}}
                                          ).respond_with_json({"webhook": {"id": 901 + number, "topic": topic, "address": TARGET}}, status=201)
    hooks = connector.register_webhooks(TARGET)
    httpserver.check_assertions()
    assert [(h.topic, h.address, h.external_id) for h in hooks] == [
        ("orders/create", TARGET, "4759306"), ("orders/updated", TARGET, "902"),
        ("orders/cancelled", TARGET, "903"), ("app/uninstalled", TARGET, "904"),
    ]
    assert shopify.ShopifyResource.site is None  # the session is cleared: no token left for the next caller


def test_register_webhooks_twice_creates_nothing_new(httpserver: HTTPServer, connector: Any) -> None:
    existing = [{"id": 10 + i, "topic": t, "address": TARGET} for i, t in
                enumerate(("orders/create", "orders/updated", "orders/cancelled", "app/uninstalled"))]
    httpserver.expect_oneshot_request(api("webhooks.json"), "GET").respond_with_json({"webhooks": existing})
    hooks = connector.register_webhooks(TARGET)
    httpserver.check_assertions()
    assert [h.external_id for h in hooks] == ["10", "11", "12", "13"]


@pytest.mark.parametrize("status, error", [(401, ConfigurationError), (403, ConfigurationError), (500, TransientError)])
def test_register_webhooks_failures_are_classified(httpserver: HTTPServer, connector: Any, status: int, error: type) -> None:
    httpserver.expect_request(api("webhooks.json"), "GET").respond_with_json({"errors": "nope"}, status=status)
    with pytest.raises(error):
        connector.register_webhooks(TARGET)


def test_unregister_deletes_the_registered_subscriptions(httpserver: HTTPServer, connector: Any) -> None:
    hooks = [RegisteredHook("orders/create", TARGET, "4759306"), RegisteredHook("orders/updated", TARGET, "902"),
             RegisteredHook("app/uninstalled", TARGET, None)]  # without an id there is nothing to name
    httpserver.expect_oneshot_request(api("webhooks/4759306.json"), "DELETE",
                                      headers={"X-Shopify-Access-Token": TOKEN}).respond_with_json({})
    httpserver.expect_oneshot_request(api("webhooks/902.json"), "DELETE").respond_with_json(
        {"errors": "Not Found"}, status=404)  # removed at Shopify already: fine
    connector.unregister_webhooks(hooks)
    httpserver.check_assertions()
    assert len(httpserver.log) == 2


def test_a_refused_subscription_names_shopifys_reason(httpserver: HTTPServer, connector: Any) -> None:
    httpserver.expect_request(api("webhooks.json"), "GET").respond_with_json({"webhooks": []})
    httpserver.expect_request(api("webhooks.json"), "POST").respond_with_json(
        {"errors": {"address": ["for this topic has already been taken"]}}, status=422)
    with pytest.raises(PermanentError, match="already been taken"):
        connector.register_webhooks(TARGET)


# -- write-back -------------------------------------------------------------------------------------

def _expect_fulfilment(httpserver: HTTPServer, body: dict[str, Any]) -> None:
    httpserver.expect_oneshot_request(api(f"orders/{ORDER}/fulfillment_orders.json"), "GET").respond_with_json(
        payload("shopify_rest_fulfillment_orders_for_order.json"))
    httpserver.expect_oneshot_request(api("fulfillments.json"), "POST", json=body).respond_with_json(
        payload("shopify_rest_fulfillment_create_response.json"), status=201)


def test_dispatched_creates_the_fulfilment_with_tracking(httpserver: HTTPServer, connector: Any) -> None:
    _expect_fulfilment(httpserver, {"fulfillment": {
        "line_items_by_fulfillment_order": [{"fulfillment_order_id": 1046000780}],
        "tracking_info": {"number": "MS1562678", "company": "UPS", "url": f"http://hub.test/track/{DELIVERY['id']}"},
        "notify_customer": True,
    }})
    result = connector.push_status(DELIVERY, _event("dispatched", tracking_number="MS1562678", carrier="UPS"))
    httpserver.check_assertions()
    assert (result.ok, result.external_ref) == (True, "1069019877")
    assert "#1001.2" in result.detail


def test_tracking_defaults_to_the_delivery_id_and_the_configured_company(httpserver: HTTPServer, connector: Any) -> None:
    _expect_fulfilment(httpserver, {"fulfillment": {
        "line_items_by_fulfillment_order": [{"fulfillment_order_id": 1046000780}],
        "tracking_info": {"number": DELIVERY["id"], "company": "Delivery hub", "url": f"http://hub.test/track/{DELIVERY['id']}"},
        "notify_customer": True,
    }})
    assert connector.push_status(DELIVERY, _event("dispatched")).external_ref == "1069019877"
    httpserver.check_assertions()


def test_a_repeated_dispatch_finds_the_fulfilment_it_already_made(httpserver: HTTPServer, connector: Any) -> None:
    """The first POST went through but its answer was lost: the retry must not fail or double-fulfil."""
    done = payload("shopify_rest_fulfillment_orders_for_order.json")
    done["fulfillment_orders"][0]["status"] = "closed"
    httpserver.expect_oneshot_request(api(f"orders/{ORDER}/fulfillment_orders.json"), "GET").respond_with_json(done)
    httpserver.expect_oneshot_request(api(f"orders/{ORDER}/fulfillments.json"), "GET").respond_with_json(
        {"fulfillments": [payload("shopify_rest_fulfillment_create_response.json")["fulfillment"]]})
    result = connector.push_status(DELIVERY, _event("dispatched", tracking_number="MS1562678"))
    httpserver.check_assertions()
    assert (result.ok, result.external_ref, result.detail) == (True, "1069019877", "fulfilment already exists")


def test_nothing_open_and_nothing_ours_is_reported_not_raised(httpserver: HTTPServer, connector: Any) -> None:
    httpserver.expect_request(api(f"orders/{ORDER}/fulfillment_orders.json"), "GET").respond_with_json({"fulfillment_orders": []})
    httpserver.expect_request(api(f"orders/{ORDER}/fulfillments.json"), "GET").respond_with_json({"fulfillments": []})
    result = connector.push_status(DELIVERY, _event("dispatched"))
    assert not result.ok and result.external_ref is None and "nothing left" in result.detail


@pytest.mark.parametrize("status, shopify_status", [
    ("in_transit", "in_transit"), ("picked_up", "in_transit"), ("arriving", "out_for_delivery"),
    ("failed_attempt", "attempted_delivery"), ("delivered", "delivered"), ("returned", "failure"), ("cancelled", "failure"),
])
def test_later_statuses_become_fulfilment_events(httpserver: HTTPServer, connector: Any,
                                                 status: str, shopify_status: str) -> None:
    response = payload("shopify_rest_fulfillment_event_create_response.json")
    httpserver.expect_oneshot_request(
        api(f"orders/{ORDER}/fulfillments/1069019877/events.json"), "POST",
        json={"event": {"status": shopify_status, "happened_at": "2025-01-15T10:00:00Z", "message": "driver note"}},
    ).respond_with_json(response, status=201)
    result = connector.push_status(DELIVERY, _event(status, "1069019877", reason="driver note"))
    httpserver.check_assertions()
    assert (result.ok, result.external_ref) == (True, "1069019877")


def test_the_published_event_request_sample_is_what_we_send(httpserver: HTTPServer, connector: Any) -> None:
    sample = payload("shopify_rest_fulfillment_event_create_request.json")  # {"event": {"status": "in_transit"}}
    event = _event("in_transit", "1069019877")
    del event["occurred_at"]
    httpserver.expect_oneshot_request(api(f"orders/{ORDER}/fulfillments/1069019877/events.json"), "POST",
                                      json=sample).respond_with_json({"fulfillment_event": {"id": 1}}, status=201)
    assert connector.push_status(DELIVERY, event).ok
    httpserver.check_assertions()


def test_statuses_with_nothing_to_say_make_no_call(httpserver: HTTPServer, connector: Any) -> None:
    for status in ("received", "assigned", "planned", "needs_attention", "rescheduled"):
        assert connector.push_status(DELIVERY, _event(status)).ok
    assert connector.push_status(DELIVERY, _event("cancelled")).detail.startswith("cancelled before dispatch")
    assert httpserver.log == []


def test_a_later_status_without_a_fulfilment_creates_it_first(httpserver: HTTPServer, connector: Any) -> None:
    _expect_fulfilment(httpserver, {"fulfillment": {
        "line_items_by_fulfillment_order": [{"fulfillment_order_id": 1046000780}],
        "tracking_info": {"number": DELIVERY["id"], "company": "Delivery hub", "url": f"http://hub.test/track/{DELIVERY['id']}"},
        "notify_customer": True,
    }})
    httpserver.expect_oneshot_request(api(f"orders/{ORDER}/fulfillments/1069019877/events.json"), "POST").respond_with_json(
        {"fulfillment_event": {"id": 2}}, status=201)
    assert connector.push_status(DELIVERY, _event("delivered")).external_ref == "1069019877"
    httpserver.check_assertions()


def test_only_the_configured_location_is_fulfilled(httpserver: HTTPServer, shop_settings: dict[str, Any]) -> None:
    from connectors.shopify import CONNECTOR
    from hub.plugins import load_settings

    other = CONNECTOR.create(load_settings(CONNECTOR, {**shop_settings, "location_id": "999"}))
    httpserver.expect_request(api(f"orders/{ORDER}/fulfillment_orders.json"), "GET").respond_with_json(
        payload("shopify_rest_fulfillment_orders_for_order.json"))
    httpserver.expect_request(api(f"orders/{ORDER}/fulfillments.json"), "GET").respond_with_json({"fulfillments": []})
    assert not other.push_status(DELIVERY, _event("dispatched")).ok


# -- failures ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("status, error", [(401, ConfigurationError), (404, PermanentError), (422, PermanentError), (500, TransientError), (503, TransientError)])
def test_failures_are_classified(httpserver: HTTPServer, connector: Any, status: int, error: type) -> None:
    httpserver.expect_request(api(f"orders/{ORDER}/fulfillment_orders.json"), "GET").respond_with_json({"errors": "x"}, status=status)
    with pytest.raises(error):
        connector.push_status(DELIVERY, _event("dispatched"))


def test_429_carries_retry_after(httpserver: HTTPServer, connector: Any) -> None:
    httpserver.expect_request(api(f"orders/{ORDER}/fulfillments/77/events.json"), "POST").respond_with_json(
        {"errors": "Exceeded 2 calls per second for api client. Reduce request rates to resume uninterrupted service."},
        status=429, headers={"Retry-After": "2.0"})
    with pytest.raises(TransientError) as caught:
        connector.push_status(DELIVERY, _event("in_transit", "77"))
    assert caught.value.retry_after_s == 2.0


def test_a_shop_that_does_not_answer_in_time_is_transient(httpserver: HTTPServer, shop_settings: dict[str, Any]) -> None:
    from connectors.shopify import CONNECTOR
    from hub.plugins import load_settings

    slow = CONNECTOR.create(load_settings(CONNECTOR, {**shop_settings, "timeout_s": 0.2}))

    def stall(request: Request) -> Response:
        time.sleep(0.6)
        return Response(json.dumps({"fulfillment_orders": []}), content_type="application/json")

    httpserver.expect_request(api(f"orders/{ORDER}/fulfillment_orders.json"), "GET").respond_with_handler(stall)
    with pytest.raises(TransientError, match="in time|reach"):
        slow.push_status(DELIVERY, _event("dispatched"))


def test_an_unreachable_shop_is_transient(shop_settings: dict[str, Any]) -> None:
    from connectors.shopify import CONNECTOR
    from hub.plugins import load_settings

    gone = CONNECTOR.create(load_settings(CONNECTOR, {**shop_settings, "api_url": "http://127.0.0.1:9"}))
    with pytest.raises(TransientError):
        gone.push_status(DELIVERY, _event("in_transit", "77"))


def test_a_nearly_full_bucket_slows_down(httpserver: HTTPServer, connector: Any) -> None:
    """39/40 used: wait until the bucket has leaked back to 80% (32), at 2 calls/s that is 3.5 s."""
    waits: list[float] = []
    connector.client.sleep = waits.append
    path = api(f"orders/{ORDER}/fulfillments/77/events.json")
    httpserver.expect_oneshot_request(path, "POST").respond_with_json(
        {"fulfillment_event": {"id": 1}}, status=201, headers={"X-Shopify-Shop-Api-Call-Limit": "39/40"})
    httpserver.expect_oneshot_request(path, "POST").respond_with_json(
        {"fulfillment_event": {"id": 2}}, status=201, headers={"x-shopify-shop-api-call-limit": "12/40"})
    connector.push_status(DELIVERY, _event("in_transit", "77"))
    connector.push_status(DELIVERY, _event("delivered", "77"))
    assert waits == [3.5]


def test_a_note_is_added_to_the_orders_note_keeping_the_merchants(httpserver: HTTPServer, connector: Any) -> None:
    order_id = DELIVERY["source"]["external_id"]
    httpserver.expect_oneshot_request(api(f"orders/{order_id}.json"), "GET", query_string="fields=id%2Cnote") \
        .respond_with_json({"order": {"id": int(order_id), "note": "Gift wrap, please"}})
    httpserver.expect_oneshot_request(api(f"orders/{order_id}.json"), "PUT", json={"order": {
        "id": int(order_id), "note": "Gift wrap, please\n\nThe recipient chose a new delivery window."}}) \
        .respond_with_json({"order": {"id": int(order_id), "note": "..."}})
    result = connector.push_note(DELIVERY, "The recipient chose a new delivery window.")
    httpserver.check_assertions()
    assert result.ok and order_id in result.detail
