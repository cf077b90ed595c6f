"""A connector whose webhooks authenticate with a shared token in a header (body unsigned) and carry only the
order's id, through the contract kit: the kit tests what applies to the header_token scheme (the token is
refused when missing or wrong, another token setting fails) and leaves out the tampered-body test."""

from __future__ import annotations

from pathlib import Path

from hub.testing import ConnectorContract
from tests.plugins.tokenstore import CONNECTOR


class TestTokenStoreContract(ConnectorContract):
    connector = CONNECTOR  # defined in the tests, not installed: the spec itself
    payloads = Path(__file__).parent / "tokenstore" / "payloads"

    def test_the_recorded_webhook_asks_for_a_fetch(self) -> None:
        request, _ = self.signed_requests[0]
        (event,) = self.build().parse(request)
        assert (event.kind, event.external_id, event.topic) == ("order.fetch", "1001", "store/order/created")


def test_the_kit_generates_the_token_checks_only() -> None:
    assert TestTokenStoreContract.test_tampered_body_is_refused is None
    assert TestTokenStoreContract.test_wrong_token_is_refused is not None
    assert TestTokenStoreContract.test_unsigned_request_is_refused is not None
