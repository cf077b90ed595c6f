"""The hub's own carrier protocol: signed job offers out, signed status and proof-of-delivery reports in.

A carrier implements it from docs/carriers.md alone. The hub POSTs {"type": "carrier.job.offered", "timestamp",
"data": <carrier_job.v1>} signed per Standard Webhooks; the carrier answers {"accepted": true, "reference"} or
{"accepted": false, "reason"}. Reports go to the job's callback.status_url (or /hooks/<installation id>).
"""

from __future__ import annotations

from typing import Any, Mapping

from connectors.hub_carrier import webhooks
from connectors.hub_carrier.client import CarrierClient
from connectors.hub_carrier.mapping import dispatch_result
from connectors.hub_carrier.settings import HubCarrierSettings
from hub.plugins import (
    CANCEL_JOB,
    DISPATCH_JOB,
    RECEIVE_WEBHOOK,
    ConnectorSpec,
    DispatchResult,
    InboundEvent,
    InboundRequest,
    Verification,
    WebhookAuth,
)

OFFERED, CANCELLED = "carrier.job.offered", "carrier.job.cancelled"


class HubCarrier:
    def __init__(self, settings: Mapping[str, Any], client: CarrierClient | None = None) -> None:
        self._secret = settings["secret"]
        self.client = client or CarrierClient(settings["endpoint_url"], settings["secret"],
                                              float(settings.get("acceptance_timeout_s", 30)))

    def __repr__(self) -> str:
        return f"HubCarrier({self.client.endpoint_url!r})"

    def dispatch(self, job: Mapping[str, Any]) -> DispatchResult:
        return dispatch_result(self.client.send(str(job["job_id"]), OFFERED, job))

    def cancel(self, external_ref: str, reason: str) -> None:
        self.client.send(f"cancel-{external_ref}", CANCELLED, {"reference": external_ref, "reason": reason})

    def verify(self, request: InboundRequest) -> Verification:
        return webhooks.verify(self._secret, request)

    def parse(self, request: InboundRequest) -> list[InboundEvent]:
        return webhooks.parse(request)


CONNECTOR = ConnectorSpec(
    id="hub_carrier",
    label="Carrier (hub protocol)",
    kind="carrier",
    version="1.0.0",
    settings_schema=HubCarrierSettings,
    capabilities=frozenset({DISPATCH_JOB, CANCEL_JOB, RECEIVE_WEBHOOK}),
    factory=HubCarrier,
    webhook_auth=WebhookAuth(header="webhook-signature", secrets=("secret",)),
    description="Any carrier or crowd network that implements the hub's carrier protocol (docs/carriers.md): "
    "signed job offers, accept/reject answers, signed status and proof-of-delivery reports.",
)
