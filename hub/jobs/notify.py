"""Outbox handlers of customer messages (hub/notify):

- "notify" on the events that may fire a trigger (created, status changes, ETA changes): plan the messages;
- "notify.check": a scheduled look at one delivery's "arriving soon";
- "notify.send": send one message (SMTP or the SMS notifier), on the "external" retry policy;
- "notify.receipt": apply a provider's delivery receipt (the request was verified and stored by the API).

Idempotent: a message exists once per (delivery, trigger, channel, attempt) by a unique constraint; a send
acts only on a message still pending; a receipt already applied changes nothing.
"""

from __future__ import annotations

from typing import Any

from hub.db.engine import transaction
from hub.db.models import OutboxItem, utcnow
from hub.db.models.notify import CustomerMessage
from hub.errors import TransientError
from hub.notify import planner, sending
from hub.notify.context import Links
from hub.notify.messages import find_by_provider_id, record_failure, record_receipt
from hub.outbox.running import event_of, payload_of
from hub.runtime import Runtime


def _links(runtime: Runtime) -> Links:
    return Links(runtime.config.public_url, runtime.config.secret_key)


def on_event(runtime: Runtime, item_id: int) -> None:
    with transaction(runtime.sessions) as session:
        event = event_of(session, item_id)
        if event is not None:
            planner.on_event(session, _links(runtime), event, utcnow())


def on_check(runtime: Runtime, item_id: int) -> None:
    delivery_id = payload_of(runtime, item_id).get("delivery_id")
    if delivery_id:
        with transaction(runtime.sessions) as session:
            planner.on_check(session, _links(runtime), delivery_id, utcnow())


def send(runtime: Runtime, item_id: int) -> None:
    message_id = payload_of(runtime, item_id).get("message_id")
    if not message_id:
        return
    with transaction(runtime.sessions) as session:
        outgoing = sending.prepare(session, message_id, utcnow())
    if outgoing is None:
        return
    sent = sending.deliver(outgoing, runtime.config.public_url)
    with transaction(runtime.sessions) as session:
        sending.record(session, message_id, sent, utcnow())


def mark_dead(session: Any, item: OutboxItem) -> None:
    """on_dead of "notify.send": the message is recorded as failed, with the last error, on its delivery."""
    message = session.get(CustomerMessage, (item.payload or {}).get("message_id"))
    if message is not None:
        record_failure(session, message, item.last_error or "the send kept failing", utcnow())


def apply_receipt(runtime: Runtime, item_id: int) -> None:
    p = payload_of(runtime, item_id)
    with transaction(runtime.sessions) as session:
        message = find_by_provider_id(session, p["tenant_id"], p["provider"], p["provider_message_id"])
        if message is None:
            # The receipt can beat the commit of our own send: try again shortly, the message will be there.
            raise TransientError(f"no message {p['provider_message_id']!r} of {p['provider']} yet")
        record_receipt(session, message, status=p["status"], provider_status=p["provider_status"],
                       error_code=p.get("error_code"), details=p.get("details") or {}, now=utcnow())
