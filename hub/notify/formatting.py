"""Times and windows as a customer reads them, in their language and on their clock. Pure.

A few words per language are all a delivery message needs (weekday, month, "today", "tomorrow"); a table
here keeps the hub free of a locale database and identical on every machine.
"""

from __future__ import annotations

from datetime import date, datetime, tzinfo
from typing import Any

from hub.canonical.fields import parse_aware_timestamp

WORDS: dict[str, dict[str, Any]] = {
    "en": {"days": ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"],
           "months": ["January", "February", "March", "April", "May", "June", "July", "August", "September",
                      "October", "November", "December"],
           "today": "today", "tomorrow": "tomorrow", "date": "{weekday} {day} {month}", "between": "between {start} and {end}",
           "from": "from {start}", "until": "by {end}"},
    "de": {"days": ["Montag", "Dienstag", "Mittwoch", "Donnerstag", "Freitag", "Samstag", "Sonntag"],
           "months": ["Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August", "September",
                      "Oktober", "November", "Dezember"],
           "today": "heute", "tomorrow": "morgen", "date": "{weekday}, {day}. {month}", "between": "zwischen {start} und {end} Uhr",
           "from": "ab {start} Uhr", "until": "bis {end} Uhr"},
    "fr": {"days": ["lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"],
           "months": ["janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre",
                      "octobre", "novembre", "décembre"],
           "today": "aujourd'hui", "tomorrow": "demain", "date": "{weekday} {day} {month}", "between": "entre {start} et {end}",
           "from": "à partir de {start}", "until": "avant {end}"},
    "es": {"days": ["lunes", "martes", "miércoles", "jueves", "viernes", "sábado", "domingo"],
           "months": ["enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto", "septiembre",
                      "octubre", "noviembre", "diciembre"],
           "today": "hoy", "tomorrow": "mañana", "date": "{weekday} {day} de {month}", "between": "entre las {start} y las {end}",
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
    return words["date"].format(weekday=words["days"][local.weekday()], day=local.day,
                                month=words["months"][local.month - 1])


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
