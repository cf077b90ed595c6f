"""Uber Direct (DaaS) as a carrier: quote, create, cancel; delivery-status webhooks become the hub's canonical
status and proof-of-delivery reports. See docs/connectors/uber_direct.md."""

from __future__ import annotations

from typing import Any, Mapping

from connectors.uber_direct import webhooks
from connectors.uber_direct.client import UberDirectClient
from connectors.uber_direct.mapping import (
    delivery_request,
    dispatch_result,
    missing_for_uber,
    quote_from,
    quote_request,
)
from connectors.uber_direct.settings import UberDirectSettings
from hub.plugins import (
    CANCEL_JOB,
    DISPATCH_JOB,
    QUOTE,
    RECEIVE_WEBHOOK,
    ConnectorSpec,
    DispatchResult,
    InboundEvent,
    InboundRequest,
    Quote,
    Verification,
    WebhookAuth,
)

# Uber's answers that mean "not this delivery" (a refusal to pass on), not "your request is broken".
REFUSALS = (400, 402, 409)


class UberDirect:
    def __init__(self, settings: Mapping[str, Any], client: UberDirectClient | None = None) -> None:
        self._settings = settings
        self.client = client or UberDirectClient(settings)

    def __repr__(self) -> str:
        return f"UberDirect(customer={self._settings['customer_id']!r})"

    def dispatch(self, job: Mapping[str, Any]) -> DispatchResult:
        request = delivery_request(job, self._settings)
        missing = missing_for_uber(request)
        if missing:
            return DispatchResult(accepted=False, reason=f"Uber needs {', '.join(missing)}")
        response = self.client.create_delivery(request)
        if response.status_code in REFUSALS:
            return dispatch_result(response.status_code, _json(response))
        response.raise_for_status()
        return dispatch_result(response.status_code, _json(response))

    def quote(self, job: Mapping[str, Any]) -> Quote:
        return quote_from(self.client.quote(quote_request(job, self._settings)))

    def cancel(self, external_ref: str, reason: str) -> None:
        self.client.cancel(external_ref)

    def verify(self, request: InboundRequest) -> Verification:
        return webhooks.verify(self._settings["webhook_signing_key"], request)

    def parse(self, request: InboundRequest) -> list[InboundEvent]:
        return webhooks.parse(request)


def _json(response: Any) -> Mapping[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


CONNECTOR = ConnectorSpec(
    id="uber_direct",
    label="Uber Direct",
    kind="carrier",
    version="1.0.0",
    settings_schema=UberDirectSettings,
    capabilities=frozenset({DISPATCH_JOB, QUOTE, CANCEL_JOB, RECEIVE_WEBHOOK}),
    factory=UberDirect,
    # Only the signing key takes part in verify; the OAuth client secret is an API credential.
    webhook_auth=WebhookAuth(header="x-uber-signature", secrets=("webhook_signing_key",)),
    description="Uber Direct on-demand couriers: quotes, deliveries and cancellations through the Direct API; "
    "delivery-status webhooks (x-uber-signature) as status and proof of delivery.",
    docs_url="https://developer.uber.com/docs/deliveries/overview",
)
