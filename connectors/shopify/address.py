"""Street lines → line1/line2/unit/floor. Pure string work on what customers type at checkout."""

from __future__ import annotations

import re
from dataclasses import dataclass

_UNIT_WORDS = r"apt|apartment|unit|suite|ste|flat|rm|room|app|appt|wohnung|whg"
_FLOOR_WORDS = r"floor|fl|flr|etage|stock|og"
_TOKEN = r"[A-Za-z0-9][A-Za-z0-9-]*"
# "Apt 4B", "Suite #300", "Unit 12-3", "#5" (a bare number sign reads as a unit in North American use)
UNIT = re.compile(rf"(?:\b(?:{_UNIT_WORDS})\b\.?\s*#?\s*|#\s*)(?P<unit>{_TOKEN})", re.IGNORECASE)
# "Floor 3", "Fl. 2", "3rd floor", "3. Etage", "2. OG"
FLOOR = re.compile(
    rf"\b(?:(?:{_FLOOR_WORDS})\.?\s*(?P<a>\d+[A-Za-z]?)\b|(?P<b>\d+)(?:st|nd|rd|th|\.)?\s*(?:{_FLOOR_WORDS})\b\.?)",
    re.IGNORECASE,
)
_SEPARATORS = " ,;/-–"


@dataclass(frozen=True)
class Street:
    line1: str | None
    line2: str | None
    unit: str | None
    floor: str | None


def _clean(text: str | None) -> str | None:
    if text is None:
        return None
    text = re.sub(r"\s+", " ", str(text)).strip(_SEPARATORS)
    return text or None


def _take(pattern: re.Pattern[str], text: str | None, groups: tuple[str, ...]) -> tuple[str | None, str | None]:
    """(value found, text without it); at most the first match is taken."""
    if not text:
        return None, text
    match = pattern.search(text)
    if match is None:
        return None, text
    value = next(match.group(g) for g in groups if match.group(g))
    return value, _clean(text[: match.start()] + " " + text[match.end():])


def split_street(address1: str | None, address2: str | None) -> Street:
    """Pull unit and floor out of the second line first, then out of the first line's tail.

    The first line keeps its house number: only text *after* the street part is searched there
    ("12 Main St Apt 4" → unit 4; "#12 Main St" is left alone because a number sign at the start
    is a house number in some countries).
    """
    line1, line2 = _clean(address1), _clean(address2)
    unit, line2 = _take(UNIT, line2, ("unit",))
    floor, line2 = _take(FLOOR, line2, ("a", "b"))
    if line1:
        head, sep, tail = line1.partition(" ")
        if sep:
            if unit is None:
                unit, tail = _take(UNIT, tail, ("unit",))
            if floor is None:
                floor, tail = _take(FLOOR, tail, ("a", "b"))
            line1 = _clean(f"{head} {tail or ''}")
    if line2 and unit is None and re.fullmatch(r"\d+[A-Za-z]?", line2):
        unit, line2 = line2, None  # a bare "4B" on the second line is the apartment
    return Street(line1=line1, line2=line2, unit=unit, floor=floor)
