"""Shopify against the hub's connector contract: the same tests every connector passes."""

from __future__ import annotations

from pathlib import Path


from hub.testing import PAYLOADS_DIR
from hub.testing import ConnectorContract, make_request, with_setting

from connectors.shopify import CONNECTOR
from connectors.shopify.webhooks import sign

GOLDEN = Path(__file__).parent / "fixtures" / "golden"
SECRET = "shpss_0123456789abcdef0123456789abcdef"
SETTINGS = {
    "shop": "maple-goods.myshopify.com",
    "access_token": "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",
    "client_secret": SECRET,
}


def _signed(name: str, topic: str, webhook_id: str) -> tuple:
    body = (GOLDEN / f"{name}.input.json").read_bytes()
    headers = {"X-Shopify-Topic": topic, "X-Shopify-Webhook-Id": webhook_id,
               "X-Shopify-Shop-Domain": SETTINGS["shop"], "X-Shopify-Hmac-Sha256": sign(SECRET, body)}
    return make_request(body, headers), SETTINGS


class TestShopifyContract(ConnectorContract):
    spec = CONNECTOR
    valid_settings = SETTINGS
    invalid_settings = [
        ({"access_token": "x", "client_secret": "y"}, "shop"),
        ({**SETTINGS, "shop": "maple-goods.com"}, "shop"),
        ({**SETTINGS, "shop": "-bad.myshopify.com"}, "shop"),
        ({"shop": "maple-goods.myshopify.com", "client_secret": SECRET}, "access_token"),
        ({**SETTINGS, "access_token": ""}, "access_token"),
        ({"shop": "maple-goods.myshopify.com", "access_token": "shpat_x"}, "client_secret"),
        ({**SETTINGS, "api_version": "2026-05"}, "api_version"),
        ({**SETTINGS, "api_url": "not a url"}, "api_url"),
        ({**SETTINGS, "service_levels": {"Drone": "teleport"}}, "service_levels"),
        ({**SETTINGS, "service_levels": "{not json"}, "service_levels"),
        ({**SETTINGS, "location_id": "main"}, "location_id"),
        ({**SETTINGS, "acess_token": "typo"}, "acess_token"),
    ]
    golden_dir = GOLDEN
    signature_header = "X-Shopify-Hmac-Sha256"
    signing_secrets = ("client_secret", "previous_client_secret")  # the access token signs nothing
    signed_requests = [
        _signed("apartment_vip", "orders/create", "b54557e4-0001"),
        _signed("orders_create_sample", "orders/cancelled", "b54557e4-0002"),
        _signed("rest_order_get", "orders/updated", "b54557e4-0003"),
    ]

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
        **SETTINGS, "shop": " https://Maple-Goods.myshopify.com/ ", "service_levels": '{"DHL Paket": "next_day"}',
        "notify_customer": "false", "previous_client_secret": "", "api_url": "http://127.0.0.1:8123",
    })
    assert loaded["shop"] == "maple-goods.myshopify.com"
    assert loaded["service_levels"] == {"DHL Paket": "next_day"}
    assert loaded["notify_customer"] is False and loaded["previous_client_secret"] is None
    assert (loaded["api_version"], loaded["vip_tag"], loaded["tracking_company"]) == ("2026-07", "vip", "Delivery hub")
