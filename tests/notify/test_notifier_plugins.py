"""Notifiers load through the same registry as connectors (entry-point group delivery_hub.notifiers): the
built-in Twilio one is found by name, a broken plugin is reported and never takes the hub down, and Twilio's
provider maps receipts and checks signatures with Twilio's RequestValidator."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any
from urllib.parse import urlencode

import pytest

from hub.plugins import NotifierSpec, load_settings
from hub.plugins.notifiers import default_notifiers, notifier_registry
from hub.plugins.registry import UnknownConnector
from hub.plugins.values import InboundRequest
from tests.notify.standins import ACCOUNT_SID, AUTH_TOKEN, FROM_NUMBER, twilio_signature


@dataclass
class FakeEntryPoint:
    name: str
    value: str
    target: Any

    def load(self) -> Any:
        if isinstance(self.target, Exception):
            raise self.target
        return self.target


def test_the_built_in_twilio_notifier_is_found_through_its_entry_point():
    spec = default_notifiers().get("twilio")
    assert isinstance(spec, NotifierSpec) and spec.channel == "sms"


def test_a_broken_notifier_is_reported_not_raised():
    good = default_notifiers().get("twilio")
    registry = notifier_registry(lambda: [FakeEntryPoint("twilio", "notifiers.twilio:NOTIFIER", good),
                                          FakeEntryPoint("boom", "boom:NOTIFIER", ImportError("no module boom")),
                                          FakeEntryPoint("odd", "odd:NOTIFIER", object())]).discover()
    assert [s.id for s in registry.specs()] == ["twilio"]
    assert {f.name: f.error for f in registry.failures()} == {
        "boom": "import failed: ImportError: no module boom",
        "odd": "resolved to object, expected a hub.plugins.NotifierSpec"}
    with pytest.raises(UnknownConnector, match="notifier 'boom': failed to load"):
        registry.get("boom")


def _request(form: dict[str, str], signature: str) -> InboundRequest:
    return InboundRequest(method="POST", path="/hooks/notify/t/twilio/status", body=urlencode(form).encode(),
                          headers={"X-Twilio-Signature": signature, "Content-Type": "application/x-www-form-urlencoded"},
                          query={}, remote_addr="127.0.0.1", received_at=datetime.now(timezone.utc))


@pytest.mark.parametrize("twilio_status,status", [("queued", "queued"), ("sent", "sent"), ("delivered", "delivered"),
                                                  ("read", "delivered"), ("undelivered", "undelivered"),
                                                  ("failed", "failed")])
def test_twilio_receipts_in_the_hubs_words(twilio_status, status):
    spec = default_notifiers().get("twilio")
    provider = spec.create(load_settings(spec, {"account_sid": ACCOUNT_SID, "auth_token": AUTH_TOKEN,
                                                "from_number": FROM_NUMBER}))
    url = "https://hub.example/hooks/notify/t/twilio/status"
    form = {"MessageSid": "SM1", "MessageStatus": twilio_status, "AccountSid": ACCOUNT_SID, "ErrorCode": "30003"}
    request = _request(form, twilio_signature(url, form))
    assert provider.verify(request, url).ok
    assert not provider.verify(request, url + "?x=1").ok  # signed for another URL
    assert not provider.verify(_request({**form, "MessageStatus": "delivered" if twilio_status != "delivered"
                                         else "failed"}, twilio_signature(url, form)), url).ok  # body changed
    receipt = provider.receipt(request)
    assert (receipt.status, receipt.provider_status, receipt.error_code) == (status, twilio_status, "30003")


def test_twilio_settings_need_a_sender_and_hide_the_token():
    spec = default_notifiers().get("twilio")
    with pytest.raises(Exception, match="from_number"):
        load_settings(spec, {"account_sid": ACCOUNT_SID, "auth_token": AUTH_TOKEN})
    loaded = load_settings(spec, {"account_sid": ACCOUNT_SID, "auth_token": AUTH_TOKEN, "from_number": FROM_NUMBER})
    assert AUTH_TOKEN not in repr(loaded)


def test_healthz_lists_the_notifiers_and_any_that_failed_to_load(client, monkeypatch):
    good = default_notifiers().get("twilio")
    registry = notifier_registry(lambda: [FakeEntryPoint("twilio", "notifiers.twilio:NOTIFIER", good),
                                          FakeEntryPoint("boom", "boom:NOTIFIER", ImportError("no module boom"))])
    monkeypatch.setattr("hub.api.meta.default_notifiers", registry.discover)  # the installed plugins, as if broken
    notifiers = client.get("/healthz").json["notifiers"]
    assert notifiers == {"loaded": ["twilio"],
                         "failed": [{"name": "boom", "error": "import failed: ImportError: no module boom"}]}
