"""Token Store: a test connector shaped like BigCommerce. Its webhooks carry only the order's id and a shared
token in a header (the body is unsigned); the hub fetches the order through ``fetch_order``. Used by the
contract kit's header-token tests (tests/plugins/test_header_token_connector.py) and the fetch job's end to end
tests (tests/jobs/test_fetch.py), whose "store" is a local HTTP server."""

from __future__ import annotations

import hmac
from collections.abc import Mapping
from typing import Any

import requests
from marshmallow import Schema, fields, validate

from hub.plugins import (
    FETCH_ORDER,
    MAP_DELIVERY,
    RECEIVE_WEBHOOK,
    ConnectorSpec,
    InboundEvent,
    InboundRequest,
    MappedDelivery,
    MappingContext,
    MappingWarning,
    Verification,
    WebhookAuth,
)

TOKEN_HEADER = "X-Store-Token"
FETCHED_SCOPES = ("store/order/created", "store/order/updated")


class TokenStoreSettings(Schema):
    store_url = fields.Url(required=True, require_tld=False)
    api_token = fields.String(required=True, metadata={"secret": True})
    webhook_token = fields.String(required=True, validate=validate.Length(min=16), metadata={"secret": True})


class TokenStore:
    def __init__(self, settings: Mapping[str, Any]) -> None:
        self._url = settings["store_url"].rstrip("/")
        self._api_token = settings["api_token"]
        self._webhook_token = settings["webhook_token"]

    def __repr__(self) -> str:
        return f"TokenStore({self._url!r})"

    def verify(self, request: InboundRequest) -> Verification:
        token = request.headers.get(TOKEN_HEADER)
        if not token:
            return Verification(ok=False, reason=f"no {TOKEN_HEADER} header")
        if not hmac.compare_digest(token.encode(), self._webhook_token.encode()):
            return Verification(ok=False, reason=f"wrong {TOKEN_HEADER}")
        return Verification(ok=True, dedupe_key=request.headers.get("X-Store-Hook-Id"))

    def parse(self, request: InboundRequest) -> list[InboundEvent]:
        body = request.json()
        scope = str(body.get("scope", ""))
        if scope not in FETCHED_SCOPES:
            return [InboundEvent(kind="ignored", external_id=None, payload={}, topic=scope, reason="not an order change")]
        return [InboundEvent(kind="order.fetch", external_id=str(body["data"]["id"]), payload={}, topic=scope)]

    def fetch_order(self, external_id: str) -> Mapping[str, Any] | None:
        response = requests.get(f"{self._url}/orders/{external_id}", headers={"X-Auth-Token": self._api_token},
                                timeout=10)
        if response.status_code == 404:
            return None
        response.raise_for_status()
        return response.json()  # type: ignore[no-any-return]

    def to_delivery(self, raw: Mapping[str, Any], ctx: MappingContext) -> MappedDelivery:
        address = raw["shipping_address"]
        delivery = {
            "source": {"connector": ctx.connector, "installation_id": ctx.installation_id, "external_id": str(raw["id"])},
            "dropoff": {
                "address": {"line1": address["street_1"], "city": address["city"], "postal_code": address["zip"],
                            "country": address["country_iso2"].upper()},
                "contact": {"name": f"{address['first_name']} {address['last_name']}".strip()},
            },
        }
        warnings = [] if address.get("phone") else [
            MappingWarning("contact_phone_missing", "the order has no phone number", "$.dropoff.contact.phone", "info")]
        return MappedDelivery(delivery=delivery, warnings=warnings)


CONNECTOR = ConnectorSpec(
    id="tokenstore", label="Token Store", kind="source", version="0.1.0", settings_schema=TokenStoreSettings,
    capabilities=frozenset({RECEIVE_WEBHOOK, MAP_DELIVERY, FETCH_ORDER}), factory=TokenStore,
    webhook_auth=WebhookAuth(scheme="header_token", header=TOKEN_HEADER, secrets=("webhook_token",)),
)
