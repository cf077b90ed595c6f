"""The connector against a stand-in store over real HTTP, through the woocommerce client library:
webhook registration (auth, pagination, idempotence), write-back bodies, and failures."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest
import requests

from connectors.woocommerce import CONNECTOR
from connectors.woocommerce.testing import WooStandIn
from connectors.woocommerce.tests.helpers import CONSUMER_SECRET, OWN_WEBHOOK_SECRET, settings_for
from connectors.woocommerce.webhooks import TOPICS, derive_webhook_secret
from hub.plugins import TransientError, load_settings, retry_after_s
from hub.testing import classify_exception

TARGET = "http://hub.test/hooks/ins_01TEST"


def connector(url: str, **extra: object):
    return CONNECTOR.create(load_settings(CONNECTOR, settings_for(url, **extra)))


def delivery(order_id: str = "727") -> dict:
    return {"id": "dlv_01JD0000000000000000000000", "source": {"connector": "woocommerce", "external_id": order_id}}


def event(status: str, previous: str = "received", **data: object) -> dict:
    return {
        "id": "evt_1", "type": "delivery.status_changed", "delivery_id": "dlv_01JD0000000000000000000000",
        "sequence": 3, "occurred_at": "2025-01-15T10:00:00Z", "actor": {"kind": "system", "id": "test"},
        "data": {"status": status, "previous_status": previous, "reason": "", **data},
        "writeback": {"external_ref": None}, "tracking_url": "http://hub.test/track/dlv_01JD0000000000000000000000",
    }


# -- registration ------------------------------------------------------------------------------------

def test_register_over_http_signs_with_oauth1_and_creates_the_four_order_webhooks(store: WooStandIn) -> None:
    hooks = connector(store.url).register_webhooks(TARGET)
    assert [h.topic for h in hooks] == list(TOPICS) == ["order.created", "order.updated", "order.deleted", "order.restored"]
    assert all(h.address == TARGET and h.external_id for h in hooks)
    assert {s.auth for s in store.seen} == {"oauth1"}  # every call carried a valid signature
    posts = store.calls("POST", "webhooks")
    secret = derive_webhook_secret(CONSUMER_SECRET, store.url)
    assert [p.body for p in posts] == [
        {"name": f"Delivery hub: {t}", "topic": t, "delivery_url": TARGET, "secret": secret, "status": "active"}
        for t in TOPICS
    ]


def test_register_over_https_uses_basic_auth(https_store: WooStandIn) -> None:
    hooks = connector(https_store.url).register_webhooks(TARGET)
    assert len(hooks) == 4
    assert {s.auth for s in https_store.seen} == {"basic"}
    assert all("oauth_signature" not in s.query for s in https_store.seen)


def test_owner_secret_is_registered_as_given(store: WooStandIn) -> None:
    connector(store.url, webhook_secret=OWN_WEBHOOK_SECRET).register_webhooks(TARGET)
    assert {p.body["secret"] for p in store.calls("POST", "webhooks")} == {OWN_WEBHOOK_SECRET}


def test_register_is_idempotent_and_pages_through_existing_webhooks(store: WooStandIn) -> None:
    store.per_page_cap = 100
    store.webhooks.extend({"id": i, "topic": "product.updated", "delivery_url": "https://other.example/x",
                           "status": "active"} for i in range(1, 131))
    store.webhooks.append({"id": 500, "topic": "order.created", "delivery_url": TARGET, "status": "disabled"})
    store.webhooks.append({"id": 501, "topic": "order.deleted", "delivery_url": "https://other.example/x"})
    hooks = connector(store.url).register_webhooks(TARGET)
    pages = [s.query.get("page") for s in store.calls("GET", "webhooks")]
    assert pages == ["1", "2"]
    assert [s.path for s in store.calls("PUT")] == ["webhooks/500"]  # re-activated with the secret
    assert store.calls("PUT")[0].body["status"] == "active"
    assert [p.body["topic"] for p in store.calls("POST", "webhooks")] == ["order.updated", "order.deleted", "order.restored"]
    assert hooks[0].external_id == "500"
    # Installing again changes nothing at the store but the secrets it re-sends.
    before = len(store.webhooks)
    connector(store.url).register_webhooks(TARGET)
    assert len(store.webhooks) == before


def test_registering_again_after_a_key_rotation_moves_every_hook_to_the_new_secret(store: WooStandIn) -> None:
    connector(store.url).register_webhooks(TARGET)
    store.secret = "cs_rotated0123456789"
    connector(store.url, consumer_secret=store.secret).register_webhooks(TARGET)
    assert len(store.webhooks) == 4
    assert {h["secret"] for h in store.webhooks} == {derive_webhook_secret(store.secret, store.url)}


def test_unregister_deletes_the_webhooks_registered_at_install_and_nothing_else(store: WooStandIn) -> None:
    store.webhooks.append({"id": 900, "topic": "product.updated", "delivery_url": "https://other.example/x"})
    hooks = connector(store.url).register_webhooks(TARGET)
    connector(store.url).unregister_webhooks(hooks)
    assert [h["id"] for h in store.webhooks] == [900]
    assert [(s.path, s.query) for s in store.calls("DELETE")] == [
        (f"webhooks/{h.external_id}", {"force": "true"}) for h in hooks]
    connector(store.url).unregister_webhooks(hooks)  # already gone: nothing to do, no error
    assert [h["id"] for h in store.webhooks] == [900]


def test_a_wrong_consumer_secret_fails_registration_with_401(store: WooStandIn) -> None:
    with pytest.raises(requests.HTTPError) as caught:
        connector(store.url, consumer_secret="cs_wrong").register_webhooks(TARGET)
    assert caught.value.response.status_code == 401
    assert classify_exception(caught.value) == "configuration"
    assert "oauth_signature" not in str(caught.value) and "cs_wrong" not in str(caught.value)


# -- write-back --------------------------------------------------------------------------------------

def test_delivered_completes_the_order(store: WooStandIn) -> None:
    result = connector(store.url).push_status(delivery(), event("delivered", "in_transit"))
    assert result.ok
    assert [(s.method, s.path, s.body) for s in store.seen] == [("PUT", "orders/727", {"status": "completed"})]


@pytest.mark.parametrize(("status", "previous"), [("dispatched", "assigned"), ("arriving", "in_transit"),
                                                   ("rescheduled", "failed_attempt")])
def test_customer_visible_notes_carry_the_tracking_link(store: WooStandIn, status: str, previous: str) -> None:
    connector(store.url).push_status(delivery(), event(status, previous))
    (call,) = store.seen
    assert (call.method, call.path, call.body["customer_note"]) == ("POST", "orders/727/notes", True)
    assert "http://hub.test/track/dlv_01JD0000000000000000000000" in call.body["note"]


@pytest.mark.parametrize(("status", "previous", "data", "reason"), [
    ("failed_attempt", "arriving", {"reason": "nobody home", "reason_code": "recipient_absent"}, "nobody home"),
    ("returned", "failed_attempt", {"reason": "", "reason_code": "refused"}, "refused"),
    ("cancelled", "in_transit", {"reason": "vehicle breakdown"}, "vehicle breakdown"),
])
def test_failures_become_private_notes_with_the_reason(store: WooStandIn, status: str, previous: str,
                                                       data: dict, reason: str) -> None:
    connector(store.url).push_status(delivery(), event(status, previous, **data))
    (call,) = store.seen
    assert (call.method, call.path, call.body["customer_note"]) == ("POST", "orders/727/notes", False)
    assert reason in call.body["note"] and "dlv_01JD0000000000000000000000" in call.body["note"]


@pytest.mark.parametrize(("status", "previous"), [("in_transit", "dispatched"), ("picked_up", "dispatched"),
                                                   ("assigned", "received"), ("cancelled", "received")])
def test_quiet_statuses_send_nothing(store: WooStandIn, status: str, previous: str) -> None:
    result = connector(store.url).push_status(delivery(), event(status, previous))
    assert result.ok and result.detail and store.seen == []


def test_other_event_types_and_orderless_deliveries_send_nothing(store: WooStandIn) -> None:
    c = connector(store.url)
    assert c.push_status(delivery(), {**event("delivered"), "type": "delivery.updated"}).ok
    assert c.push_status({"source": {}}, event("delivered")).ok
    assert store.seen == []


@pytest.mark.parametrize(("status", "headers", "kind"), [
    (401, {}, "configuration"), (404, {}, "permanent"), (429, {"Retry-After": "120"}, "transient"),
    (500, {}, "transient"), (503, {"Retry-After": "30"}, "transient"),
])
def test_store_errors_raise_http_errors_the_hub_classifies(store: WooStandIn, status: int, headers: dict,
                                                           kind: str) -> None:
    store.failures[("POST", r"orders/\d+/notes")] = (status, {"code": "x", "message": "no"}, headers)
    with pytest.raises(requests.HTTPError) as caught:
        connector(store.url).push_status(delivery(), event("dispatched", "assigned"))
    assert caught.value.response.status_code == status
    assert classify_exception(caught.value) == kind
    if "Retry-After" in headers:
        assert retry_after_s(caught.value.response.headers) == float(headers["Retry-After"])


def test_a_body_that_is_not_json_is_an_error(store: WooStandIn) -> None:
    store.failures[("PUT", r"orders/727")] = (200, "<b>Notice</b>: PHP", {})
    with pytest.raises(requests.HTTPError):
        connector(store.url).push_status(delivery(), event("delivered", "in_transit"))


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A port that accepts connections and never answers."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    sock.listen(8)
    try:
        yield sock.getsockname()[1]
    finally:
        sock.close()


def test_a_store_that_does_not_answer_is_a_transient_error(silent_port: int) -> None:
    with pytest.raises(TransientError, match="timed out"):
        connector(f"http://127.0.0.1:{silent_port}", timeout_s=1).push_status(delivery(), event("delivered", "in_transit"))


def test_a_store_that_refuses_connections_is_a_transient_error() -> None:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()  # nothing listens there now
    with pytest.raises(TransientError, match="could not connect"):
        connector(f"http://127.0.0.1:{port}").register_webhooks(TARGET)


def test_without_a_tracking_link_the_note_leaves_out_the_sentence_that_shows_it() -> None:
    from connectors.woocommerce.writeback import plan

    dispatched = {**event("dispatched", "assigned"), "tracking_url": None}
    assert plan(delivery(), dispatched).note == "Your order is on its way."
