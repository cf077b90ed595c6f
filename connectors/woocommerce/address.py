"""Splitting WooCommerce's free-text ``address_2`` into unit, floor and the rest. Pure.

``address_2`` holds "Apt 4B", "Suite 200", "#12", "3rd floor", "Apto 101, 2º andar" or a building
name; the keywords are data (tables/address_keywords.yaml).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from connectors.woocommerce.tables import FLOOR_WORDS, UNIT_WORDS


def _alternation(words: tuple[str, ...]) -> str:
    return "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))


_UNIT_WORDS = _alternation(tuple(w for w in UNIT_WORDS if w != "#"))
_FLOOR_WORDS = _alternation(FLOOR_WORDS)
# A unit value: "4B", "200", "12-3", "A" (a lone letter). At most 10 characters: real unit numbers are
# short, and a longer token after "Apt" is a word ("Apartment complex"), not a number.
_UNIT_VALUE = r"(?P<v>\d[\w/-]{0,9}|[^\W\d_]\d[\w/-]{0,8}|[^\W\d_](?![\w]))"
_UNIT = re.compile(rf"(?<!\w)(?:(?:{_UNIT_WORDS})(?:[.:\s#]+|(?=\d))|#\s*){_UNIT_VALUE}", re.IGNORECASE)
_FLOOR_AFTER = re.compile(rf"(?<!\w)(?:{_FLOOR_WORDS})(?:[.:\s]+|(?=\d))(?P<v>\d{{1,3}}|[^\W\d_]{{1,2}})(?!\w)", re.IGNORECASE)
_FLOOR_BEFORE = re.compile(
    rf"(?<!\w)(?P<v>\d{{1,3}})\s*(?:st|nd|rd|th|\.|º|°|ª|o|e|er|ème)?\s*(?:{_FLOOR_WORDS})(?!\w)", re.IGNORECASE)
_LEFTOVER = re.compile(r"^[\s,;/-]+|[\s,;/-]+$")


@dataclass(frozen=True)
class Address2:
    unit: str | None
    floor: str | None
    rest: str | None


def split_address_2(text: str | None) -> Address2:
    """``"Apt 4B, 3rd floor"`` → unit "4B", floor "3"; what is not recognised stays in ``rest``."""
    if not text or not text.strip():
        return Address2(None, None, None)
    remaining = text.strip()
    floor = None
    for pattern in (_FLOOR_BEFORE, _FLOOR_AFTER):
        match = pattern.search(remaining)
        if match:
            floor = match.group("v")
            remaining = remaining[: match.start()] + " " + remaining[match.end():]
            break
    unit = None
    match = _UNIT.search(remaining)
    if match:
        unit = match.group("v")
        remaining = remaining[: match.start()] + " " + remaining[match.end():]
    rest = _LEFTOVER.sub("", re.sub(r"\s{2,}", " ", remaining)).strip()
    rest = re.sub(r"\s*,(\s*,)+\s*", ", ", rest)
    return Address2(unit, floor, rest or None)
