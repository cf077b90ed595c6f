"""From hub events to planned messages: which triggers an event fires for its delivery (hub/notify/triggers.py),
on which channels the tenant wants them, and when to look again for an "arriving soon" that is not due yet.

Called by the outbox handlers in hub/jobs/notify.py, in their transaction.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.canonical.fields import parse_aware_timestamp
from hub.db.models import Delivery, DeliveryEvent, OutboxItem
from hub.db.models.notify import CustomerMessage
from hub.notify import route, triggers
from hub.notify.context import Links
from hub.notify.messages import plan_message
from hub.notify.settings import channel_ready, load_settings_for, sends_messages
from hub.outbox.rows import add_outbox

CHECK_KIND = "notify.check"


def failed_attempts_before(session: Session, delivery_id: str, sequence: int | None = None) -> int:
    """Failed attempts recorded before `sequence` (all of them without one): the message's attempt number, so a
    rescheduled delivery's new day gets its own "out for delivery", and a re-planned ETA never a second one."""
    query = select(DeliveryEvent.data).where(DeliveryEvent.delivery_id == delivery_id,
                                             DeliveryEvent.type == "delivery.status_changed")
    if sequence is not None:
        query = query.where(DeliveryEvent.sequence < sequence)
    rows = session.execute(query).scalars()
    return sum(1 for data in rows if (data or {}).get("status") == "failed_attempt")


def latest_eta(session: Session, delivery_id: str) -> datetime | None:
    data = session.execute(select(DeliveryEvent.data).where(
        DeliveryEvent.delivery_id == delivery_id, DeliveryEvent.type == "delivery.eta_changed")
        .order_by(DeliveryEvent.sequence.desc()).limit(1)).scalar_one_or_none()
    return parse_aware_timestamp((data or {}).get("eta"))


def _channels(settings: dict[str, Any], trigger: str) -> list[str]:
    """The trigger's channels that the tenant has set up (no SMTP: no email, whatever the trigger says)."""
    wanted = ((settings.get("triggers") or {}).get(trigger) or {}).get("channels") or []
    return [channel for channel in wanted if channel_ready(settings, channel)]


def _rule(settings: dict[str, Any], trigger: str) -> dict[str, Any]:
    return dict((settings.get("triggers") or {}).get(trigger) or {})


def send_trigger(session: Session, links: Links, settings: dict[str, Any], delivery: Delivery, trigger: str, *,
                 now: datetime, attempt: int, event_id: str | None, eta: datetime | None = None) -> list[CustomerMessage]:
    planned = []
    for channel in _channels(settings, trigger):
        message = plan_message(session, links, settings, delivery, trigger=trigger, channel=channel, attempt=attempt,
                               now=now, event_id=event_id, eta=eta)
        if message is not None:
            planned.append(message)
    return planned


def consider_arriving_soon(session: Session, links: Links, settings: dict[str, Any], delivery: Delivery, *,
                           now: datetime, event_id: str | None = None) -> list[CustomerMessage]:
    """Send "arriving soon" when the ETA is near enough or few stops are left before this one; otherwise make
    sure a check waits for the moment the ETA will be near enough."""
    rule = _rule(settings, "arriving_soon")
    if not _channels(settings, "arriving_soon"):
        return []
    eta = latest_eta(session, delivery.id)
    ahead = route.stops_ahead(session, delivery.id)
    if triggers.arriving_soon(delivery.status, eta, now, ahead, rule):
        return send_trigger(session, links, settings, delivery, "arriving_soon", now=now, eta=eta,
                            attempt=failed_attempts_before(session, delivery.id), event_id=event_id)
    when = triggers.next_arriving_soon_check(eta, now, rule)
    if when is not None and delivery.status in triggers.ON_THE_WAY | {"planned", "assigned", "rescheduled"}:
        _check_at(session, delivery, when)
    return []


def _check_at(session: Session, delivery: Delivery, when: datetime) -> None:
    """One waiting check per delivery, at the earliest moment asked for (an ETA that moved earlier moves it)."""
    key = f"{CHECK_KIND}:{delivery.id}"
    waiting = session.execute(select(OutboxItem).where(
        OutboxItem.dedupe_key == key, OutboxItem.state == "pending", OutboxItem.claimed_by.is_(None))).scalars().first()
    if waiting is not None:
        if when < waiting.due_at:
            waiting.due_at = when
        return
    add_outbox(session, tenant_id=delivery.tenant_id, kind=CHECK_KIND, payload={"delivery_id": delivery.id},
               due_at=when, dedupe_key=key)


def on_event(session: Session, links: Links, event: DeliveryEvent, now: datetime) -> list[CustomerMessage]:
    """The messages an event causes for its delivery (and, when a stop ends, for the stops after it)."""
    delivery = session.get(Delivery, event.delivery_id) if event.delivery_id else None
    if delivery is None:
        return []
    settings = load_settings_for(session, delivery.tenant_id, with_secrets=False)
    if not sends_messages(settings):
        return []  # nothing set up to send with: no route or ETA to read either
    data = event.data or {}
    attempt = failed_attempts_before(session, delivery.id, event.sequence)
    planned: list[CustomerMessage] = []
    for trigger in triggers.event_triggers(event.type, data):
        planned += send_trigger(session, links, settings, delivery, trigger, now=now, attempt=attempt,
                                event_id=event.id, eta=latest_eta(session, delivery.id))
    if event.type == "delivery.eta_changed":
        eta = parse_aware_timestamp(data.get("eta"))
        window_end = parse_aware_timestamp((delivery.document.get("promised_window") or {}).get("end"))
        if triggers.delayed(delivery.status, eta, window_end, _rule(settings, "delayed")):
            planned += send_trigger(session, links, settings, delivery, "delayed", now=now, attempt=attempt,
                                    event_id=event.id, eta=eta)
        planned += consider_arriving_soon(session, links, settings, delivery, now=now, event_id=event.id)
    if event.type == "delivery.status_changed" and data.get("status") in ("in_transit", "delivered", "failed_attempt"):
        # The van moved on (or set out): the stops behind this one are now fewer stops away.
        stops = int(_rule(settings, "arriving_soon").get("stops", 0))
        ids = [delivery.id] if data.get("status") == "in_transit" else route.following(session, delivery.id, stops)
        for delivery_id in ids:
            nxt = session.get(Delivery, delivery_id)
            if nxt is not None:
                planned += consider_arriving_soon(session, links, settings, nxt, now=now, event_id=event.id)
    return planned


def on_check(session: Session, links: Links, delivery_id: str, now: datetime) -> list[CustomerMessage]:
    """A scheduled look at one delivery's "arriving soon" (its ETA was N minutes ahead by now)."""
    delivery = session.get(Delivery, delivery_id)
    if delivery is None:
        return []
    settings = load_settings_for(session, delivery.tenant_id, with_secrets=False)
    if not settings.get("enabled", True):
        return []
    return consider_arriving_soon(session, links, settings, delivery, now=now)
