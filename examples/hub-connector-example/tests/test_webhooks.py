"""Acme-specific webhook behaviour beyond the contract: topics and dedupe keys."""

from __future__ import annotations

from hub.testing import make_request

from hub_connector_example import CONNECTOR
from hub_connector_example.webhooks import sign
from hub.plugins import load_settings

SECRET = "acme-test-secret-0123456789abcdef"


def _connector():
    return CONNECTOR.create(load_settings(CONNECTOR, {"webhook_secret": SECRET}))


def test_dedupe_key_is_the_acme_delivery_id() -> None:
    body = b'{"id": 1}'
    request = make_request(body, {"X-Acme-Signature": sign(SECRET, body), "X-Acme-Delivery": "dlv_9"})
    assert _connector().verify(request).dedupe_key == "dlv_9"


def test_topics_become_event_kinds() -> None:
    connector = _connector()
    kinds = {}
    for topic in ("order.created", "order.updated", "order.cancelled", "ping", "customer.created"):
        (event,) = connector.parse(make_request({"id": 7}, {"X-Acme-Topic": topic}))
        kinds[topic] = (event.kind, event.external_id)
    assert kinds == {
        "order.created": ("order.upsert", "7"),
        "order.updated": ("order.upsert", "7"),
        "order.cancelled": ("order.cancel", "7"),
        "ping": ("ping", "7"),
        "customer.created": ("ignored", None),
    }


def test_default_country_defaults_to_us() -> None:
    assert load_settings(CONNECTOR, {"webhook_secret": SECRET})["default_country"] == "US"
