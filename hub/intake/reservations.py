"""A held delivery window arriving with its order: the canonical field `slot_reservation_id` (set by the API
client, or mapped from a Shopify cart attribute, WooCommerce order meta or a Magento extension attribute)
gives the new delivery the held window as its promised window, and the hold becomes confirmed.

A reservation that is unknown, released, expired or already used by another order does not move the
window: the delivery gets a `slot_reservation_invalid` warning flag instead, so an operator agrees one.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

from sqlalchemy.orm import Session

from hub.db.models.slots import SlotReservation
from hub.intake.quality import merge_flags

FIELD = "slot_reservation_id"


def _flag(message: str) -> dict[str, str]:
    return {"code": "slot_reservation_invalid", "message": message, "field": f"$.{FIELD}", "severity": "warning"}


def local_window(row: SlotReservation) -> dict[str, str]:
    """The held window in the depot's own offset, as promised windows are written."""
    tz = timezone(timedelta(minutes=row.utc_offset_min))
    return {"start": row.window_start.astimezone(tz).isoformat(), "end": row.window_end.astimezone(tz).isoformat()}


def why_unusable(row: SlotReservation | None, tenant_id: str, now: datetime) -> str | None:
    if row is None or row.tenant_id != tenant_id:
        return "no such slot reservation"
    if row.state == "released":
        return "the slot reservation was released"
    if row.state == "confirmed":
        return f"the slot reservation is already confirmed for delivery {row.delivery_id}"
    if row.expires_at <= now:
        return f"the slot reservation expired at {row.expires_at.isoformat()}"
    return None


def with_reservation(session: Session, tenant_id: str, content: dict[str, Any],
                     now: datetime) -> tuple[dict[str, Any], SlotReservation | None]:
    """For a delivery about to be created: its content with the held window, and the hold to confirm."""
    reservation_id = content.get(FIELD)
    if not reservation_id:
        return content, None
    row = session.get(SlotReservation, str(reservation_id))
    why = why_unusable(row, tenant_id, now)
    if why is not None:
        flags = merge_flags(content.get("data_quality_flags", []),
                            [_flag(f"{why} ({reservation_id}); the order's own window, if any, is kept")])
        return {**content, "data_quality_flags": flags}, None
    assert row is not None
    return {**content, "promised_window": local_window(row)}, row


def confirm(row: SlotReservation, delivery_id: str, now: datetime) -> None:
    row.state, row.delivery_id, row.confirmed_at = "confirmed", delivery_id, now
