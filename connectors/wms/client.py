"""All I/O of the warehouse connector: the signed pick_by POST to the warehouse."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from datetime import datetime, timezone
from typing import Any

import requests
from standardwebhooks.webhooks import Webhook

from hub.plugins import TransientError, http_session, retry_after_s

# Standard Webhooks asks receivers to answer within 15-30 s; 5 s to connect, 20 s to answer fits that.
TIMEOUT_S = (5, 20)
USER_AGENT = "delivery-hub-wms/1"


def _iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def pick_by_message(delivery: Mapping[str, Any], pick_by: datetime, location_id: str | None) -> dict[str, Any]:
    """The JSON body of a pick_by message (documented in docs/connectors/wms.md). Pure."""
    source = delivery.get("source") or {}
    message: dict[str, Any] = {
        "type": "pick_by",
        "delivery_id": delivery.get("id"),
        "pick_by": _iso(pick_by),
        "order": {k: source[k] for k in ("connector", "installation_id", "external_id", "external_order_number", "store")
                  if source.get(k)},
    }
    location = (delivery.get("pickup") or {}).get("location_id") or location_id
    if location:
        message["location_id"] = location
    for key in ("service_level", "promised_window", "parcels"):
        if delivery.get(key):
            message[key] = delivery[key]
    return message


def message_id(delivery_id: str, pick_by: datetime) -> str:
    """The same (delivery, pick_by) always gets the same webhook-id, so a retried POST is a duplicate
    the warehouse can drop, while a changed pick_by time is a new message."""
    digest = hashlib.sha256(f"{delivery_id}|{_iso(pick_by)}".encode()).hexdigest()[:24]
    return f"msg_pick_by_{digest}"


def post_signed(
    url: str, secret: str, msg_id: str, body: Mapping[str, Any], *,
    session: requests.Session | None = None, clock: Callable[[], datetime] | None = None,
) -> requests.Response:
    """POST ``body`` with Standard Webhooks headers. 429/5xx/timeouts raise for a retry, other errors raise
    requests.HTTPError (the hub classifies them: 401/403 pause the installation, other 4xx are permanent)."""
    raw = json.dumps(body, separators=(",", ":"), ensure_ascii=False)
    sent_at = (clock or (lambda: datetime.now(timezone.utc)))()  # the attempt's time, as the spec asks
    headers = {
        "content-type": "application/json",
        "user-agent": USER_AGENT,
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(sent_at.timestamp())),
        "webhook-signature": Webhook(secret).sign(msg_id=msg_id, timestamp=sent_at, data=raw),
    }
    http = session or http_session()
    try:
        response = http.post(url, data=raw.encode("utf-8"), headers=headers, timeout=TIMEOUT_S, allow_redirects=False)
    except (requests.ConnectionError, requests.Timeout) as exc:
        raise TransientError(f"warehouse pick_by endpoint unreachable: {exc}") from exc
    if response.status_code == 429 or response.status_code >= 500:
        raise TransientError(f"warehouse answered {response.status_code}",
                             retry_after_s=retry_after_s(response.headers))
    response.raise_for_status()
    if response.status_code >= 300:  # a redirect is not an answer: Standard Webhooks counts only 2xx
        raise requests.HTTPError(f"warehouse answered {response.status_code} (redirect not followed)", response=response)
    return response
