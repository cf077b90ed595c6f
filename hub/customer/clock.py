"""Times on the tracking page: in the delivery's own offset (its promised window's, else its depot's), written
the way the customer's language writes them (Babel). Pure."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone, tzinfo

from babel.dates import format_date, format_time

from hub.canonical.fields import parse_aware_timestamp


def delivery_zone(window: dict[str, str] | None, depot_offset_min: int | None) -> tzinfo:
    """The depot's offset (where the driver and the customer are), else the window's (stored windows are often
    UTC, so it comes second), else UTC."""
    if depot_offset_min is not None:
        return timezone(timedelta(minutes=depot_offset_min))
    start = parse_aware_timestamp((window or {}).get("start")) or parse_aware_timestamp((window or {}).get("end"))
    if start is not None and start.utcoffset() is not None:
        return timezone(start.utcoffset())  # type: ignore[arg-type]
    return timezone.utc


def clock_time(value: datetime, zone: tzinfo, lang: str) -> str:
    return format_time(value.astimezone(zone), format="short", locale=lang)


def day_and_time(value: datetime, zone: tzinfo, lang: str) -> str:
    local = value.astimezone(zone)
    return f"{format_date(local, format='medium', locale=lang)}, {format_time(local, format='short', locale=lang)}"


def window_text(window: dict[str, str] | None, zone: tzinfo, lang: str) -> str | None:
    """"Mon, 7 Dec 2026, 14:00 – 16:00" (the day once when start and end share it)."""
    start = parse_aware_timestamp((window or {}).get("start"))
    end = parse_aware_timestamp((window or {}).get("end"))
    if start is None and end is None:
        return None
    if start is None or end is None:
        return day_and_time(start or end, zone, lang)  # type: ignore[arg-type]
    a, b = start.astimezone(zone), end.astimezone(zone)
    day = format_date(a, format="full" if lang != "en" else "EEE, d MMM yyyy", locale=lang)
    if a.date() == b.date():
        return f"{day}, {clock_time(a, zone, lang)} – {clock_time(b, zone, lang)}"
    return f"{day_and_time(a, zone, lang)} – {day_and_time(b, zone, lang)}"
