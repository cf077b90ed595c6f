"""All I/O of the hub_carrier connector: signed POSTs to the carrier's endpoint."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any, Mapping

import requests
from standardwebhooks.webhooks import Webhook

from hub.plugins import http_session

USER_AGENT = "delivery-hub-carrier/1"


class CarrierClient:
    def __init__(self, endpoint_url: str, secret: str, timeout_s: float, session: requests.Session | None = None) -> None:
        self.endpoint_url, self._webhook, self.timeout_s = endpoint_url, Webhook(secret), timeout_s
        self._http = session or http_session()

    def __repr__(self) -> str:
        return f"CarrierClient({self.endpoint_url!r})"

    def send(self, message_id: str, event_type: str, data: Mapping[str, Any]) -> Mapping[str, Any]:
        """POST {type, timestamp, data} signed per Standard Webhooks; the carrier's JSON answer.
        `message_id` stays the same when the same message is sent again, so the carrier can de-duplicate."""
        now = datetime.now(timezone.utc)
        body = json.dumps({"type": event_type, "timestamp": now.strftime("%Y-%m-%dT%H:%M:%SZ"), "data": data},
                          ensure_ascii=False, separators=(",", ":"))
        headers = {
            "content-type": "application/json", "user-agent": USER_AGENT,
            "webhook-id": message_id, "webhook-timestamp": str(int(now.timestamp())),
            "webhook-signature": self._webhook.sign(message_id, now, body),
        }
        response = self._http.post(self.endpoint_url, data=body.encode("utf-8"), headers=headers, timeout=self.timeout_s)
        response.raise_for_status()
        try:
            answer = response.json()
        except ValueError:
            answer = None
        if not isinstance(answer, dict):
            raise requests.HTTPError(f"the carrier answered {response.status_code} without a JSON object", response=response)
        return answer
