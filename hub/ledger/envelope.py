"""The published shape of a stored event (schemas/events/envelope.v1.json) and the one spelling of its times.

Kept apart from hub/ledger/events.py (which writes events) so the webhook rows written with each event can use
it without an import cycle.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from hub.db.models import DeliveryEvent


def utc(moment: datetime) -> datetime:
    """A datetime read back from the database as an aware one: SQLite hands back naive datetimes, and the
    hub stores UTC only."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=timezone.utc)


def iso(moment: datetime) -> str:
    """UTC, microseconds, 'Z': one spelling, so a value hashes the same after a database round trip."""
    return utc(moment).astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def envelope(event: DeliveryEvent) -> dict[str, Any]:
    """The stored event in the shape of schemas/events/envelope.v1.json."""
    return {
        "id": event.id,
        "type": event.type,
        "delivery_id": event.delivery_id,
        "tenant": event.tenant_id,
        "sequence": event.sequence,
        "occurred_at": iso(event.occurred_at),
        "recorded_at": iso(event.recorded_at),
        "actor": event.actor,
        "data": event.data,
    }
