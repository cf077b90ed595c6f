"""Times and windows as a customer reads them, in their language and on their clock. Pure.

Weekday and month names come from Babel's CLDR data (the tracking page uses Babel too); the few phrases a
delivery message needs ("today", "tomorrow", "between ... and ...") are a table here.
"""

from __future__ import annotations

from datetime import date, datetime, tzinfo
from typing import Any

from babel.dates import get_day_names, get_month_names

from hub.canonical.fields import parse_aware_timestamp

WORDS: dict[str, dict[str, str]] = {
    "en": {"today": "today", "tomorrow": "tomorrow", "date": "{weekday} {day} {month}", "between": "between {start} and {end}",
           "from": "from {start}", "until": "by {end}"},
    "de": {"today": "heute", "tomorrow": "morgen", "date": "{weekday}, {day}. {month}", "between": "zwischen {start} und {end} Uhr",
           "from": "ab {start} Uhr", "until": "bis {end} Uhr"},
    "fr": {"today": "aujourd'hui", "tomorrow": "demain", "date": "{weekday} {day} {month}", "between": "entre {start} et {end}",
           "from": "à partir de {start}", "until": "avant {end}"},
    "es": {"today": "hoy", "tomorrow": "mañana", "date": "{weekday} {day} de {month}", "between": "entre las {start} y las {end}",
           "from": "a partir de las {start}", "until": "antes de las {end}"},
}


def clock(moment: datetime, zone: tzinfo) -> str:
    return moment.astimezone(zone).strftime("%H:%M")


def day_name(moment: datetime, zone: tzinfo, language: str, today: date) -> str:
    words = WORDS[language]
    local = moment.astimezone(zone).date()
    if local == today:
        return words["today"]
    if (local - today).days == 1:
        return words["tomorrow"]
    # Babel's CLDR names (Monday/Montag/lundi/lunes, January/Januar/janvier/enero), as the tracking page uses.
    return words["date"].format(weekday=get_day_names("wide", locale=language)[local.weekday()], day=local.day,
                                month=get_month_names("wide", locale=language)[local.month])


def window_text(window: dict[str, Any] | None, zone: tzinfo, language: str, now: datetime) -> str:
    """"tomorrow between 14:00 and 16:00", "Mittwoch, 9. Dezember zwischen 14:00 und 16:00 Uhr"; "" without one."""
    if not window:
        return ""
    start, end = parse_aware_timestamp(window.get("start")), parse_aware_timestamp(window.get("end"))
    words, today = WORDS[language], now.astimezone(zone).date()
    anchor = start or end
    if anchor is None:
        return ""
    day = day_name(anchor, zone, language, today)
    if start and end:
        span = words["between"].format(start=clock(start, zone), end=clock(end, zone))
    elif start:
        span = words["from"].format(start=clock(start, zone))
    else:
        span = words["until"].format(end=clock(end, zone))  # type: ignore[arg-type]
    return f"{day} {span}"


def eta_text(eta: datetime | None, zone: tzinfo, language: str, now: datetime) -> str:
    """"14:25", or "tomorrow 14:25" when not today; "" without one."""
    if eta is None:
        return ""
    today = now.astimezone(zone).date()
    if eta.astimezone(zone).date() == today:
        return clock(eta, zone)
    return f"{day_name(eta, zone, language, today)} {clock(eta, zone)}"
