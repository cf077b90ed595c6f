"""Street lines → line1/line2/unit/floor. Pure string work on what customers type at checkout; the unit
and floor words are the common ones (mappings/common/address_words.yaml, through hub.plugins)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from hub.plugins import ADDRESS_WORDS, Table, take_floor, take_unit

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


def split_street(address1: str | None, address2: str | None, words: Table = ADDRESS_WORDS) -> Street:
    """Pull unit and floor out of the second line first, then out of the first line's tail.

    The first line keeps its house number: only text *after* the street part is searched there
    ("12 Main St Apt 4" → unit 4; "#12 Main St" is left alone because a number sign at the start
    is a house number in some countries).
    """
    line1, line2 = _clean(address1), _clean(address2)
    unit, line2 = take_unit(line2, words)
    floor, line2 = take_floor(line2, words)
    if line1:
        head, sep, tail = line1.partition(" ")
        if sep:
            if unit is None:
                unit, tail = take_unit(tail, words)
            if floor is None:
                floor, tail = take_floor(tail, words)
            line1 = _clean(f"{head} {tail or ''}")
    if line2 and unit is None and re.fullmatch(r"\d+[A-Za-z]?", line2):
        unit, line2 = line2, None  # a bare "4B" on the second line is the apartment
    return Street(line1=line1, line2=line2, unit=unit, floor=floor)
