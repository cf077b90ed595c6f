"""The demo's customer messages: the tenant's email goes to a local SMTP sink (hub/demo/smtp_sink.py) and its SMS
to a stand-in of Twilio's API (notifiers/twilio/testing.py), which posts delivery receipts back, signed. At the end
the demo prints how many messages went out per trigger and channel, and one email as the customer got it."""

from __future__ import annotations

import time
from collections import Counter
from typing import Any

import requests
from sqlalchemy import func, select

from hub.db.models import OutboxItem, utcnow
from hub.db.models.notify import CustomerMessage
from hub.demo.smtp_sink import SmtpSink
from hub.runtime import Runtime
from notifiers.twilio.testing import TwilioStandIn

ACCOUNT_SID = "AC" + "d3e0" * 8
AUTH_TOKEN = "demo-twilio-auth-token"
NOTIFY_KINDS = ("notify", "notify.send", "notify.receipt")
WENT_OUT = ("sent", "delivered", "undelivered", "failed")  # a provider took them
# Sends are quick (local stand-ins); a minute means something is stuck, and the demo says so.
SETTLE_TIMEOUT_S = 60.0


class MessagesDemo:
    def __init__(self) -> None:
        self.smtp = SmtpSink()
        self.twilio = TwilioStandIn(ACCOUNT_SID, AUTH_TOKEN)

    def setup(self, base: str, key: str) -> str:
        settings = {
            "sender_name": "Berlin Bakery",
            # The demo runs at any hour; a real tenant keeps quiet hours (default 21:00-08:00, the customer's time).
            "quiet_hours": {"start": "00:00", "end": "00:00", "bypass": []},
            "email": {"host": "127.0.0.1", "port": self.smtp.port, "security": "none",
                      "from_address": "deliveries@bakery.example", "from_name": "Berlin Bakery"},
            "sms": {"provider": "twilio", "settings": {"account_sid": ACCOUNT_SID, "auth_token": AUTH_TOKEN,
                                                       "from_number": "+4915550000000",
                                                       "api_base_url": self.twilio.url}},
        }
        answer = requests.put(f"{base}/api/v1/settings/notifications", json=settings, timeout=30,
                              headers={"Authorization": f"Bearer {key}"})
        answer.raise_for_status()
        return f"email to an SMTP sink on 127.0.0.1:{self.smtp.port}, SMS to a Twilio stand-in on {self.twilio.url}"

    def stop(self) -> None:
        self.smtp.stop()
        self.twilio.stop()

    def settle(self, runtime: Runtime) -> bool:
        """Wait until no message work is due (sends, receipts); False on timeout."""
        deadline = time.monotonic() + SETTLE_TIMEOUT_S
        while time.monotonic() < deadline:
            with runtime.sessions() as session:
                due = session.scalar(select(func.count()).select_from(OutboxItem).where(
                    OutboxItem.kind.in_(NOTIFY_KINDS), OutboxItem.state == "pending", OutboxItem.due_at <= utcnow()))
            if not due:
                return True
            time.sleep(0.3)
        return False

    def report(self, runtime: Runtime, base: str) -> list[str]:
        settled = self.settle(runtime)
        receipts = self.twilio.report_delivered(base)
        settled = self.settle(runtime) and settled
        with runtime.sessions() as session:
            rows = session.execute(select(CustomerMessage.trigger, CustomerMessage.channel, CustomerMessage.state)).all()
        sent = Counter((trigger, channel) for trigger, channel, state in rows if state in WENT_OUT)
        states = Counter(state for _, _, state in rows)
        lines = [f"{sum(sent.values())} messages to customers ({len(self.smtp.inbox)} emails received by the SMTP sink, "
                 f"{len(self.twilio.messages)} SMS by the Twilio stand-in, {receipts} SMS receipts posted back)"]
        triggers = sorted({t for t, _ in sent}, key=lambda t: [r[0] for r in rows].index(t))
        for trigger in triggers:
            lines.append(f"  {trigger:<18} email {sent[(trigger, 'email')]:>4}   sms {sent[(trigger, 'sms')]:>4}")
        lines.append("  by state: " + ", ".join(f"{s} {n}" for s, n in states.most_common()))
        if states["expired"]:
            lines.append("  (expired: the delivery had finished before they could go, e.g. a carrier reporting "
                         "in transit and delivered at once, so they were old news)")
        if not settled:
            lines.append("!! some messages were still waiting to be sent or receipted")
        with runtime.sessions() as session:
            shown = session.scalar(select(CustomerMessage.id).where(  # the one most customers get on the day
                CustomerMessage.trigger == "out_for_delivery", CustomerMessage.channel == "email",
                CustomerMessage.state.in_(WENT_OUT)).limit(1))
        lines += self._one_email(shown)
        return lines

    def _one_email(self, message_id: str | None) -> list[str]:
        inbox = self.smtp.inbox
        chosen: Any = next((m for m in inbox if m["X-Hub-Message-Id"] == message_id), inbox[0] if inbox else None)
        if chosen is None:
            return []
        text = chosen.get_body(preferencelist=("plain",)).get_content().rstrip()
        return ["", "One of them, as the customer got it:", f"  From: {chosen['From']}", f"  To: {chosen['To']}",
                f"  Subject: {chosen['Subject']}", "", *("  " + line for line in text.splitlines())]
