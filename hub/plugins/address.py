"""Address-line splitting by the common words (``mappings/common/address_words.yaml``). Pure.

What customers type in a second address line ("Apt 4B", "Suite 200", "#12", "3rd floor", "Apto 101, 2º andar",
"2. OG") becomes a unit, a floor and the rest. The words are data, shared with the hub's own
address_missing_unit check, so a word added there is understood everywhere.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from hub.paths import MAPPINGS_DIR
from hub.plugins.tables import Table, load_table

__all__ = ["ADDRESS_WORDS", "AddressLine", "split_address_line", "take_floor", "take_unit"]

#: The common address words: ``words.unit``, ``words.floor``, ``words.building``, ``words.street``.
ADDRESS_WORDS: Table = load_table(MAPPINGS_DIR / "common", "address_words")

# A unit value: "4B", "200", "12-3", "A" (a lone letter). At most 10 characters: real unit numbers are
# short, and a longer token after "Apt" is a word ("Apartment complex"), not a number.
_UNIT_VALUE = r"(?P<v>\d[\w/-]{0,9}|[^\W\d_]\d[\w/-]{0,8}|[^\W\d_](?![\w]))"
_ORDINAL = r"(?:st|nd|rd|th|\.|º|°|ª|o|e|er|ème)?"
_LEFTOVER = re.compile(r"^[\s,;/-]+|[\s,;/-]+$")


@dataclass(frozen=True)
class AddressLine:
    """What :func:`split_address_line` found: ``rest`` is the text it did not recognise (or None)."""

    unit: str | None
    floor: str | None
    rest: str | None


def _alternation(words: tuple[str, ...]) -> str:
    return "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))


@cache
def _patterns(units: tuple[str, ...], floors: tuple[str, ...]) -> tuple[re.Pattern[str], ...]:
    unit_words, floor_words = _alternation(units), _alternation(floors)
    unit = re.compile(rf"(?<!\w)(?:(?:{unit_words})(?:[.:\s#]+|(?=\d))|#\s*){_UNIT_VALUE}", re.IGNORECASE)
    floor_before = re.compile(rf"(?<!\w)(?P<v>\d{{1,3}})\s*{_ORDINAL}\s*(?:{floor_words})(?!\w)", re.IGNORECASE)
    floor_after = re.compile(rf"(?<!\w)(?:{floor_words})(?:[.:\s]+|(?=\d))(?P<v>\d{{1,3}}|[^\W\d_]{{1,2}})(?!\w)",
                             re.IGNORECASE)
    return unit, floor_before, floor_after


def _compiled(words: Table) -> tuple[re.Pattern[str], ...]:
    return _patterns(tuple(words["words"]["unit"]), tuple(words["words"]["floor"]))


def _tidy(text: str) -> str | None:
    rest = _LEFTOVER.sub("", re.sub(r"\s{2,}", " ", text)).strip()
    return re.sub(r"\s*,(\s*,)+\s*", ", ", rest) or None


def _cut(text: str, match: re.Match[str]) -> str:
    return text[: match.start()] + " " + text[match.end():]


def take_unit(text: str | None, words: Table = ADDRESS_WORDS) -> tuple[str | None, str | None]:
    """(the unit in ``text``, the text without it); ``"Suite 200, Acme"`` → ``("200", "Acme")``."""
    if not text or not text.strip():
        return None, None
    match = _compiled(words)[0].search(text)
    return (match.group("v"), _tidy(_cut(text, match))) if match else (None, _tidy(text))


def take_floor(text: str | None, words: Table = ADDRESS_WORDS) -> tuple[str | None, str | None]:
    """(the floor in ``text``, the text without it); ``"3rd floor"`` → ``("3", None)``."""
    if not text or not text.strip():
        return None, None
    for pattern in _compiled(words)[1:]:
        match = pattern.search(text)
        if match:
            return match.group("v"), _tidy(_cut(text, match))
    return None, _tidy(text)


def split_address_line(text: str | None, words: Table = ADDRESS_WORDS) -> AddressLine:
    """``"Apt 4B, 3rd floor"`` → unit "4B", floor "3"; what is not recognised stays in ``rest``.

    Pass ``words=ADDRESS_WORDS.in_context(ctx)`` so an installation's patch of the words applies.
    """
    floor, rest = take_floor(text, words)
    unit, rest = take_unit(rest, words)
    return AddressLine(unit, floor, rest)
