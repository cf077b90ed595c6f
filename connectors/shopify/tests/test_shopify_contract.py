"""Shopify against the hub's connector contract: the same tests every connector passes."""

from __future__ import annotations

from pathlib import Path

from connectors.shopify import CONNECTOR
from hub.testing import PAYLOADS_DIR, ConnectorContract, with_setting

FIXTURES = Path(__file__).parent / "fixtures"
GOLDEN = FIXTURES / "golden"
SECRET = "shpss_0123456789abcdef0123456789abcdef"


class TestShopifyContract(ConnectorContract):
    connector = "shopify"
    payloads = FIXTURES

    def test_neither_current_nor_previous_secret_is_refused(self, signed_index: int) -> None:
        """During rotation both secrets verify; a signature made with neither must not."""
        request, raw_settings = self.signed_requests[signed_index]
        other = with_setting(raw_settings, "client_secret", SECRET[:-1] + "x")
        rotated = {**other, "previous_client_secret": SECRET[:-2] + "yy"}
        self._refused(request, rotated, "neither the current nor the previous secret")


def test_the_golden_samples_are_the_published_payloads() -> None:
    for golden, sample in (("orders_create_sample", "shopify_webhook_orders_create.json"),
                           ("rest_order_get", "shopify_rest_order_get.json")):
        assert (GOLDEN / f"{golden}.input.json").read_bytes() == (PAYLOADS_DIR / sample).read_bytes()


def test_access_token_does_not_sign_webhooks() -> None:
    request, raw = TestShopifyContract.signed_requests[0]
    connector = CONNECTOR.create(TestShopifyContract().load({**raw, "access_token": "shpat_other"}))
    assert connector.verify(request).ok


def test_settings_accept_what_owners_paste_and_what_the_cli_sends() -> None:
    loaded = TestShopifyContract().load({
        **TestShopifyContract.valid_settings, "shop": " https://Maple-Goods.myshopify.com/ ",
        "service_levels": '{"DHL Paket": "next_day"}',
        "notify_customer": "false", "previous_client_secret": "", "api_url": "http://127.0.0.1:8123",
    })
    assert loaded["shop"] == "maple-goods.myshopify.com"
    assert loaded["service_levels"] == {"DHL Paket": "next_day"}
    assert loaded["notify_customer"] is False and loaded["previous_client_secret"] is None
    assert (loaded["api_version"], loaded["vip_tag"], loaded["tracking_company"]) == ("2026-07", "vip", "Delivery hub")


def test_an_order_fulfilled_by_the_shop_says_so() -> None:
    """The hub creates no delivery for it when first seen (hub/intake/handlers.py)."""
    import json

    from hub.plugins import MappingContext
    from hub.testing import FIXED_NOW

    from connectors.shopify.mapping import to_delivery

    raw = json.loads((Path(__file__).parent / "fixtures" / "golden" / "orders_create_sample.input.json").read_text())
    ctx = MappingContext("t", "ins_1", "shopify", FIXED_NOW, settings={"shop": "maple-goods.myshopify.com"})
    assert to_delivery({**raw, "fulfillment_status": None}, ctx).shipped_by_source is False
    assert to_delivery({**raw, "fulfillment_status": "partial"}, ctx).shipped_by_source is False
    assert to_delivery({**raw, "fulfillment_status": "fulfilled"}, ctx).shipped_by_source is True
