"""A stand-in for Twilio's Messages API on 127.0.0.1 (the shared stand-in server of hub.testing.standin): it
takes messages as Twilio does, and posts their delivery receipts back to the hub signed as Twilio signs them.
Used by `hub demo`; pure runtime code, no test libraries."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import requests
from twilio.request_validator import RequestValidator
from werkzeug import Request, Response

from hub.testing.standin import StandInServer


class TwilioStandIn(StandInServer):
    def __init__(self, account_sid: str, auth_token: str) -> None:
        super().__init__()
        self.account_sid, self.auth_token = account_sid, auth_token
        self.messages: list[dict[str, str]] = []

    def handle(self, request: Request, path: str, body: Any) -> Response:
        if request.method != "POST" or path != f"/2010-04-01/Accounts/{self.account_sid}/Messages.json":
            return self.json({"code": 20404, "message": "The requested resource was not found", "status": 404}, 404)
        form = {k: v[0] for k, v in parse_qs(request.get_data(as_text=True)).items()}
        sid = f"SM{len(self.messages) + 1:032x}"
        self.messages.append({**form, "sid": sid})
        self.record("POST", path, f"SMS to {form.get('To')}: {form.get('Body', '')[:60]}", form)
        return self.json({"sid": sid, "account_sid": self.account_sid, "to": form.get("To"), "from": form.get("From"),
                          "body": form.get("Body"), "status": "queued", "num_segments": "1", "num_media": "0",
                          "direction": "outbound-api", "api_version": "2010-04-01", "subresource_uris": {}}, 201)

    def report_delivered(self, hub_url: str) -> int:
        """Post a signed "delivered" receipt for every message taken, as Twilio does once the phone has it; the
        signature covers the callback URL the hub gave, so `hub_url` only replaces its scheme and host."""
        posted = 0
        for message in self.messages:
            callback = message.get("StatusCallback")
            if not callback:
                continue
            form = {"MessageSid": message["sid"], "MessageStatus": "delivered", "AccountSid": self.account_sid,
                    "To": message.get("To", ""), "From": message.get("From", ""), "ApiVersion": "2010-04-01"}
            signature = RequestValidator(self.auth_token).compute_signature(callback, form)
            requests.post(hub_url.rstrip("/") + urlsplit(callback).path, data=form, timeout=30,
                          headers={"X-Twilio-Signature": signature}).raise_for_status()
            posted += 1
        return posted
