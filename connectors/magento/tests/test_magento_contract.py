"""Magento against the hub's connector contract, plus what a poll-only connector needs instead of the
signed-webhook checks: Magento Open Source sends no webhooks, so ``verify`` refuses every request and
``parse`` reads only the items the hub pulled itself."""

from __future__ import annotations

from pathlib import Path

import pytest

from hub.testing import ConnectorContract, make_request

FIXTURES = Path(__file__).parent / "fixtures"
GOLDEN = FIXTURES / "golden"
SETTINGS = {"base_url": "https://shop.example.com", "access_token": "magento-access-token-0123456789"}
OAUTH = {**SETTINGS, "auth": "oauth1", "access_token_secret": "token-secret-abcdef012345",
         "consumer_key": "consumer-key-abcdef012345", "consumer_secret": "consumer-secret-abcdef012345"}


class TestMagentoContract(ConnectorContract):
    connector = "magento"
    payloads = FIXTURES  # no requests/: Magento sends no webhooks, see the two tests below

    def test_signed_requests_are_provided(self) -> None:
        """Replaces the kit's check: there is nothing to sign, and nothing from outside may verify."""
        body = (GOLDEN / "magento_order_1.input.json").read_bytes()
        for settings in (SETTINGS, OAUTH):
            for headers in ({}, {"X-Hub-Pulled": "1"}, {"Authorization": f"Bearer {SETTINGS['access_token']}"}):
                result = self._verify(make_request(body, headers), settings)
                assert not result.ok and result.reason.strip()

    def test_pulled_item_parses_and_anything_else_is_ignored(self) -> None:
        connector = self.build()
        body = (GOLDEN / "magento_order_1.input.json").read_bytes()
        (event,) = self.pure(connector, lambda: connector.parse(make_request(body, {"X-Hub-Pulled": "1"})))
        assert (event.kind, event.external_id, event.occurred_at.isoformat()) == (
            "order.upsert", "3", "2017-08-21T22:22:20+00:00")
        (ignored,) = connector.parse(make_request(body, {}))
        assert ignored.kind == "ignored"
        (garbage,) = connector.parse(make_request(b"\xff not json", {"X-Hub-Pulled": "1"}))
        assert garbage.kind == "ignored"

    @pytest.mark.parametrize("state", ["canceled", "closed"])
    def test_cancelled_orders_parse_as_cancel(self, state: str) -> None:
        body = (GOLDEN / "canceled_order.input.json").read_text().replace('"canceled"', f'"{state}"')
        (event,) = self.build().parse(make_request(body, {"X-Hub-Pulled": "1"}))
        assert (event.kind, event.external_id) == ("order.cancel", "3")
        assert state in event.reason
