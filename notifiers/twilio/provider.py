"""Twilio through its own library. Its HTTP client is given the hub's guarded session (public addresses only,
a deadline, a size cap) and, when `api_base_url` is not Twilio's own, sends there instead (a regional edge, a
local stand-in)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl

import requests
from twilio.base.exceptions import TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.http.response import Response
from twilio.request_validator import RequestValidator, get_signature_algorithm
from twilio.rest import Client

from hub.plugins import (
    ConfigurationError,
    DeliveryReceipt,
    IncomingAnswer,
    IncomingSms,
    InboundRequest,
    PermanentError,
    SmsMessage,
    SmsSent,
    TransientError,
    Verification,
    http_session,
)
from notifiers.twilio.settings import DEFAULT_API_BASE_URL

# Twilio's words for where a message is (MessageStatus), in the hub's.
STATUSES = {
    "accepted": "queued", "scheduled": "queued", "queued": "queued", "sending": "queued",
    "sent": "sent", "delivered": "delivered", "read": "delivered",
    "undelivered": "undelivered", "failed": "failed", "canceled": "failed",
}
# Twilio reads the answer to an incoming message as TwiML; anything else it logs as error 12300. An empty
# <Response/> sends no reply: the carrier confirms STOP and START itself (Twilio's Advanced Opt-Out).
EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response/>'
# Twilio's API answers in well under a second; 30 s leaves room for a slow edge without holding a worker.
DEADLINE_S = 30.0


class _GuardedTwilioHttp(TwilioHttpClient):
    def __init__(self, api_base_url: str) -> None:
        super().__init__(timeout=DEADLINE_S)
        self.session = http_session(deadline_s=DEADLINE_S)
        self.api_base_url = api_base_url.rstrip("/")

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> Response:
        if self.api_base_url != DEFAULT_API_BASE_URL and url.startswith(DEFAULT_API_BASE_URL):
            url = self.api_base_url + url[len(DEFAULT_API_BASE_URL):]
        return super().request(method, url, *args, **kwargs)


class _Form(dict[str, list[str]]):
    """Form fields with every value kept; RequestValidator asks `getall` for repeated names."""

    def getall(self, name: str) -> list[str]:
        return self[name]


def _form(body: bytes) -> _Form:
    form = _Form()
    for name, value in parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True):
        form.setdefault(name, []).append(value)
    return form


def _first(form: Mapping[str, list[str]], name: str) -> str:
    values = form.get(name) or [""]
    return values[0]


class TwilioSms:
    def __init__(self, settings: Mapping[str, Any]) -> None:
        self.settings = settings
        self.client = Client(settings["account_sid"], settings["auth_token"], environment={},
                             http_client=_GuardedTwilioHttp(settings.get("api_base_url") or DEFAULT_API_BASE_URL))

    def send_sms(self, message: SmsMessage) -> SmsSent:
        sender: dict[str, str] = ({"messaging_service_sid": self.settings["messaging_service_sid"]}
                                  if self.settings.get("messaging_service_sid") else {"from_": self.settings["from_number"]})
        extra = {"status_callback": message.status_callback} if message.status_callback else {}
        try:
            sent = self.client.messages.create(to=message.to, body=message.body, **sender, **extra)
        except TwilioRestException as exc:
            what = f"Twilio answered {exc.status} (error {exc.code}): {exc.msg}"
            if exc.status in (401, 403):
                raise ConfigurationError(what) from None
            if exc.status == 429 or exc.status >= 500:
                raise TransientError(what) from None
            raise PermanentError(what) from None
        except requests.RequestException as exc:
            raise TransientError(f"Twilio could not be reached: {type(exc).__name__}") from None
        provider_status = str(sent.status or "queued")
        return SmsSent(provider_message_id=str(sent.sid), status=STATUSES.get(provider_status, "queued"),  # type: ignore[arg-type]
                       provider_status=provider_status)

    def verify(self, request: InboundRequest, url: str) -> Verification:
        signature = request.headers.get("X-Twilio-Signature")
        if not signature:
            return Verification(False, "no X-Twilio-Signature header")
        form = _form(request.body)
        algorithm = get_signature_algorithm(request.headers.get("X-Twilio-Webhooks-Signature-Settings"))
        if not RequestValidator(self.settings["auth_token"]).validate(url, form, signature, algorithm):
            return Verification(False, "the X-Twilio-Signature does not match (auth token, URL or body differ)")
        if _first(form, "AccountSid") not in ("", self.settings["account_sid"]):
            return Verification(False, "the request is for another Twilio account")
        sid, status = _first(form, "MessageSid"), _first(form, "MessageStatus")
        return Verification(True, "verified", f"{sid}:{status}" if sid else None)

    def receipt(self, request: InboundRequest) -> DeliveryReceipt | None:
        form = _form(request.body)
        sid, status = _first(form, "MessageSid"), _first(form, "MessageStatus")
        if not sid or status not in STATUSES:
            return None
        details = {k: _first(form, k) for k in ("To", "From", "ErrorMessage", "RawDlrDoneDate") if _first(form, k)}
        return DeliveryReceipt(provider_message_id=sid, status=STATUSES[status], provider_status=status,  # type: ignore[arg-type]
                               error_code=_first(form, "ErrorCode") or None, details=details)

    def incoming(self, request: InboundRequest) -> IncomingSms | None:
        form = _form(request.body)
        sender = _first(form, "From")
        if not sender:
            return None
        return IncomingSms(sender=sender, recipient=_first(form, "To"), body=_first(form, "Body"),
                           provider_message_id=_first(form, "MessageSid"))

    def incoming_answer(self, outcome: str) -> IncomingAnswer:
        return IncomingAnswer(body=EMPTY_TWIML, content_type="text/xml")
