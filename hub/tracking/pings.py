"""A driver's new position, handed to tracking as work: the "track_ping" row its handler (hub/jobs/track.py)
runs after the request that stored the pings has committed."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from hub.db.models import OutboxItem
from hub.ledger.events import iso
from hub.outbox.rows import add_outbox

PING_KIND = "track_ping"


def enqueue_ping(session: Session, tenant_id: str, driver_id: str, ping: dict[str, Any]) -> OutboxItem:
    """In the caller's transaction: an outbox row that runs `on_ping` after commit. Send the newest point of a
    batch; the deviation check reads the stored track itself."""
    recorded = ping["recorded_at"]
    payload = {"tenant_id": tenant_id, "driver_id": driver_id, "lat": float(ping["lat"]), "lng": float(ping["lng"]),
               "recorded_at": recorded if isinstance(recorded, str) else iso(recorded)}
    return add_outbox(session, tenant_id=tenant_id, kind=PING_KIND, payload=payload)
