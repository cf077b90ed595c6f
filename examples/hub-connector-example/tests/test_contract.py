"""Acme Orders against the hub's connector contract: the same tests every connector passes."""

from __future__ import annotations

from pathlib import Path

from hub.testing import ConnectorContract, make_request

from hub_connector_example import CONNECTOR
from hub_connector_example.webhooks import sign

SECRET = "acme-test-secret-0123456789abcdef"
SETTINGS = {"webhook_secret": SECRET, "default_country": "US"}
GOLDEN = Path(__file__).parent / "fixtures" / "golden"


def _signed(name: str, topic: str, delivery_id: str) -> tuple:
    body = (GOLDEN / f"{name}.input.json").read_bytes()
    headers = {"X-Acme-Topic": topic, "X-Acme-Delivery": delivery_id, "X-Acme-Signature": sign(SECRET, body)}
    return make_request(body, headers), SETTINGS


class TestAcmeOrdersContract(ConnectorContract):
    spec = CONNECTOR
    valid_settings = SETTINGS
    invalid_settings = [
        ({"default_country": "US"}, "webhook_secret"),
        ({"webhook_secret": "short"}, "webhook_secret"),
        ({"webhook_secret": SECRET, "default_country": "Germany"}, "default_country"),
        ({"webhook_secret": SECRET, "webhok_url": "https://typo.example"}, "webhok_url"),
    ]
    golden_dir = GOLDEN
    signature_header = "X-Acme-Signature"
    signed_requests = [
        _signed("simple_order", "order.created", "dlv_0001"),
        _signed("digital_only", "order.updated", "dlv_0002"),
    ]
