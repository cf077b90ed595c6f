"""Opt-out: addresses that asked for no more messages, per tenant and channel. An SMS reply of STOP (or one of
the carriers' other stop words) opts out, START opts back in; an email's unsubscribe link opts out. Every
message is checked when it is planned and again just before it is sent."""

from __future__ import annotations

import re

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from hub.db.models import utcnow
from hub.db.models.notify import OptOut

# The keywords US and EU carriers and Twilio's own opt-out handling treat as stop / start (case-insensitive,
# the whole message): honouring the same words means the hub and the provider agree on who opted out.
STOP_WORDS = frozenset({"stop", "stopall", "unsubscribe", "cancel", "end", "quit", "optout", "revoke", "arret",
                        "arrêt", "baja", "stopp"})
START_WORDS = frozenset({"start", "unstop", "yes", "subscribe"})
E164 = re.compile(r"^\+[1-9][0-9]{6,14}$")


def normalize(channel: str, address: str | None) -> str | None:
    """The address as opt-outs are kept: lower-case email, E.164 phone; None for one we cannot send to."""
    value = (address or "").strip()
    if channel == "email":
        return value.lower() if "@" in value and " " not in value else None
    value = re.sub(r"[\s().-]", "", value)
    return value if E164.match(value) else None


def keyword(body: str) -> str | None:
    """"stop", "start" or None for an incoming message's text."""
    word = (body or "").strip().strip(".!").lower()
    if word in STOP_WORDS:
        return "stop"
    if word in START_WORDS:
        return "start"
    return None


def is_opted_out(session: Session, tenant_id: str, channel: str, address: str) -> bool:
    return session.execute(select(OptOut.id).where(OptOut.tenant_id == tenant_id, OptOut.channel == channel,
                                                   OptOut.address == address).limit(1)).first() is not None


def opt_out(session: Session, tenant_id: str, channel: str, address: str, source: str) -> bool:
    """Record the opt-out; True when it is new (a second STOP or click changes nothing)."""
    if is_opted_out(session, tenant_id, channel, address):
        return False
    try:
        with session.begin_nested():
            session.add(OptOut(tenant_id=tenant_id, channel=channel, address=address, source=source,
                               created_at=utcnow()))
    except IntegrityError:  # the same opt-out committed meanwhile (a provider retried its webhook)
        return False
    return True


def opt_in(session: Session, tenant_id: str, channel: str, address: str) -> bool:
    """Forget the opt-out (an SMS START, the "subscribe again" button); True when there was one."""
    return bool(session.execute(delete(OptOut).where(OptOut.tenant_id == tenant_id, OptOut.channel == channel,
                                                     OptOut.address == address)).rowcount)
