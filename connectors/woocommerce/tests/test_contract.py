"""WooCommerce against the hub's connector contract: the same tests every connector passes."""

from __future__ import annotations

from hub.testing import ConnectorContract

from connectors.woocommerce import CONNECTOR
from connectors.woocommerce.tests.helpers import GOLDEN, SETTINGS, signed

ORDER = (GOLDEN / "order_727_processing.input.json").read_bytes()
ESCAPED = (GOLDEN / "apartment_weights_entities.input.json").read_bytes()
DELETED = b'{"id":727}'


class TestWooCommerceContract(ConnectorContract):
    spec = CONNECTOR
    # With the owner's own webhook secret, so the kit also checks that it is never shown.
    valid_settings = {**SETTINGS, "webhook_secret": "whsec-owner-0123456789", "weight_unit": "kg"}
    invalid_settings = [
        ({}, "url"),
        ({**SETTINGS, "url": "ftp://shop.example.com"}, "url"),
        ({**SETTINGS, "consumer_key": "4b1f0e2d"}, "consumer_key"),
        ({**SETTINGS, "consumer_secret": ""}, "consumer_secret"),
        ({k: v for k, v in SETTINGS.items() if k != "consumer_secret"}, "consumer_secret"),
        ({**SETTINGS, "weight_unit": "stone"}, "weight_unit"),
        ({**SETTINGS, "default_country": "Brazil"}, "default_country"),
        ({**SETTINGS, "timeout_s": 0}, "timeout_s"),
        ({**SETTINGS, "consumer_sercet": "cs_x"}, "consumer_sercet"),
    ]
    golden_dir = GOLDEN
    signature_header = "X-WC-Webhook-Signature"
    # Signed with the derived secret (settings without webhook_secret): changing the consumer secret
    # must then break verification too, which the kit checks.
    signed_requests = [
        (signed(ORDER, "order.created", "dlv-a1"), SETTINGS),
        (signed(ESCAPED, "order.updated", "dlv-a2"), SETTINGS),
        (signed(DELETED, "order.deleted", "dlv-a3"), SETTINGS),
    ]
