"""The outside services of customer messages, stood in on 127.0.0.1: a real SMTP server (aiosmtpd) that keeps
what it receives, and Twilio's Messages API answered by pytest-httpserver; plus the set-up most tests share."""

from __future__ import annotations

import copy
import json
import re
import socket
import time
from datetime import datetime, timedelta, timezone
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller
from sqlalchemy import select
from twilio.request_validator import RequestValidator

from hub.db.engine import transaction
from hub.db.models import Delivery
from hub.db.models.notify import CustomerMessage
from hub.ledger.deliveries import change_status
from hub.ledger.events import append_event
from hub.paths import SCHEMAS_DIR
from hub.runtime import Runtime

ACCOUNT_SID = "AC" + "0" * 31 + "1"
AUTH_TOKEN = "twilio-auth-token-for-tests"
FROM_NUMBER = "+15005550006"
MESSAGES_PATH = f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json"
NO_QUIET_HOURS = {"start": "00:00", "end": "00:00", "bypass": []}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class _Keep:
    def __init__(self, inbox: list[EmailMessage]) -> None:
        self.inbox = inbox

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.inbox.append(message_from_bytes(envelope.content, policy=policy.default))  # type: ignore[arg-type]
        return "250 OK"


class SmtpStandIn:
    """An SMTP server on a fixed local port that can be started late (the provider "down, then up")."""

    def __init__(self, port: int | None = None) -> None:
        self.port = port or free_port()
        self.inbox: list[EmailMessage] = []
        self._controller: Controller | None = None

    def start(self) -> "SmtpStandIn":
        self._controller = Controller(_Keep(self.inbox), hostname="127.0.0.1", port=self.port)
        self._controller.start()
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def wait_for(self, count: int, timeout_s: float = 5.0) -> list[EmailMessage]:
        deadline = time.monotonic() + timeout_s
        while len(self.inbox) < count and time.monotonic() < deadline:
            time.sleep(0.02)
        return self.inbox


def settings(smtp_port: int | None = None, twilio_url: str | None = None, **extra: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {"sender_name": "Queen West Flowers", "quiet_hours": NO_QUIET_HOURS, **extra}
    if smtp_port is not None:
        doc["email"] = {"host": "127.0.0.1", "port": smtp_port, "security": "none",
                        "from_address": "deliveries@flowers.example", "from_name": "Queen West Flowers"}
    if twilio_url is not None:
        doc["sms"] = {"provider": "twilio", "settings": {"account_sid": ACCOUNT_SID, "auth_token": AUTH_TOKEN,
                                                           "from_number": FROM_NUMBER, "api_base_url": twilio_url}}
    return doc


def delivery_input(external_id: str = "TO-1", country: str = "CA", window_hours: float = 26.0,
                   email: str | None = "priya.n@example.ca", phone: str | None = "+14165550142") -> dict[str, Any]:
    doc = json.loads((SCHEMAS_DIR / "examples" / "delivery_input.v1.json").read_text(encoding="utf-8"))
    doc = copy.deepcopy(doc)
    doc["source"]["external_id"] = external_id
    doc["dropoff"]["address"]["country"] = country
    contact = {"name": "Priya Natarajan"}
    if email:
        contact["email"] = email
    if phone:
        contact["phone"] = phone
    doc["dropoff"]["contact"] = contact
    start = datetime.now(timezone.utc).replace(microsecond=0) + timedelta(hours=window_hours)
    doc["promised_window"] = {"start": start.isoformat(), "end": (start + timedelta(hours=2)).isoformat()}
    doc["pickup"].pop("ready_at", None)
    return doc


def create_delivery(client: Any, headers: dict[str, str], **kwargs: Any) -> str:
    answer = client.post("/api/v1/deliveries", headers=headers, json=delivery_input(**kwargs))
    assert answer.status_code == 202, answer.json
    return str(answer.json["id"])


def move(runtime: Runtime, delivery_id: str, *statuses: str) -> None:
    """The delivery through these statuses, as the hub's status machine records them (events and outbox rows)."""
    with transaction(runtime.sessions) as session:
        delivery = session.get(Delivery, delivery_id)
        for status in statuses:
            change_status(session, delivery, status, actor={"kind": "system", "id": "test"}, reason="test")


def new_eta(runtime: Runtime, delivery_id: str, eta: datetime) -> None:
    """A `delivery.eta_changed` as tracking records it (hub/tracking/service.py)."""
    with transaction(runtime.sessions) as session:
        delivery = session.get(Delivery, delivery_id)
        append_event(session, delivery, "delivery.eta_changed",
                     {"eta": eta.isoformat(), "source": "driver_position",
                      "window": delivery.document["promised_window"]}, actor={"kind": "system", "id": "tracking"})


def messages(runtime: Runtime, delivery_id: str) -> list[CustomerMessage]:
    with runtime.sessions() as session:
        rows = list(session.execute(select(CustomerMessage).where(CustomerMessage.delivery_id == delivery_id)
                                    .order_by(CustomerMessage.created_at)).scalars())
        session.expunge_all()
        return rows


def twilio_signature(url: str, form: dict[str, str]) -> str:
    return RequestValidator(AUTH_TOKEN).compute_signature(url, form)


def twilio_answer(sid: str, to: str, body: str, status: str = "queued") -> dict[str, Any]:
    """What Twilio's Messages API answers to a create (the fields its library reads)."""
    return {"sid": sid, "account_sid": ACCOUNT_SID, "to": to, "from": FROM_NUMBER, "body": body, "status": status,
            "num_segments": "1", "direction": "outbound-api", "api_version": "2010-04-01", "price": None,
            "error_code": None, "error_message": None, "uri": f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages/{sid}.json",
            "date_created": "Sun, 06 Dec 2026 10:00:00 +0000", "date_updated": "Sun, 06 Dec 2026 10:00:00 +0000",
            "date_sent": None, "messaging_service_sid": None, "num_media": "0", "subresource_uris": {}}


def emailed_unsubscribe_path(client: Any, tenant: dict[str, Any], smtp: Any, run_jobs: Any) -> str:
    """Email on (through `smtp`), a delivery created, its confirmation sent: the path of the email's unsubscribe link."""
    client.put("/api/v1/settings/notifications", headers=tenant["headers"], json=settings(smtp.port))
    create_delivery(client, tenant["headers"])
    run_jobs()
    text = smtp.wait_for(1)[0].get_body(preferencelist=("plain",)).get_content()
    return re.search(r"http://hub\.test(/notify/unsubscribe/\S+)", text).group(1)  # type: ignore[union-attr]

