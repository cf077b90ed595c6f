"""Quiet hours and the customer's clock. Pure: the caller passes `now`."""

from __future__ import annotations

from datetime import datetime, time, timedelta, timezone, tzinfo
from typing import Any
from zoneinfo import ZoneInfo

from hub.canonical.fields import parse_aware_timestamp


def customer_zone(settings: dict[str, Any], document: dict[str, Any]) -> tzinfo:
    """The tenant's timezone when set; else the promised window's own offset (the customer's local time on the
    day of delivery); else UTC."""
    if settings.get("timezone"):
        return ZoneInfo(settings["timezone"])
    window = document.get("promised_window") or {}
    for key in ("start", "end"):
        text = window.get(key)
        if isinstance(text, str) and parse_aware_timestamp(text) is not None:
            offset = datetime.fromisoformat(text.replace("Z", "+00:00")).utcoffset()
            if offset is not None:
                return timezone(offset)
    return timezone.utc


def _clock(text: str) -> time:
    hours, minutes = text.split(":")
    return time(int(hours), int(minutes))


def quiet_until(now: datetime, zone: tzinfo, quiet: dict[str, Any] | None) -> datetime | None:
    """When the quiet hours that `now` falls in end (UTC), or None when `now` is outside them. A span whose
    start is after its end (21:00-08:00) runs over midnight; equal start and end means no quiet hours."""
    if not quiet:
        return None
    start, end = _clock(quiet["start"]), _clock(quiet["end"])
    if start == end:
        return None
    local = now.astimezone(zone)
    at = local.time().replace(tzinfo=None)
    if start < end:
        inside = start <= at < end
        end_day = local.date()
    else:
        inside = at >= start or at < end
        end_day = local.date() + timedelta(days=1) if at >= start else local.date()
    if not inside:
        return None
    return datetime.combine(end_day, end, tzinfo=zone).astimezone(timezone.utc)
