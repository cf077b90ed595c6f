"""Service level of a shipping method: a source's own codes first, then the common words. Pure.

A source's ``service_levels`` table (``kind: service_levels``) lists its exact ``codes``; the words in
``mappings/common/service_level_words.yaml`` catch the titles no table lists ("Same-day courier",
"UPS Next Day Air"). One list of words for every source, so they cannot drift apart.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from hub.paths import MAPPINGS_DIR
from hub.plugins.tables import Table, load_table

__all__ = ["SERVICE_LEVEL_WORDS", "is_pickup", "service_level_of"]

#: The common service-level words: ``words`` (regular expression → service level), in order.
SERVICE_LEVEL_WORDS: Table = load_table(MAPPINGS_DIR / "common", "service_level_words")


def _words(table: Table) -> list[tuple[re.Pattern[str], str]]:
    # re caches compiled patterns, so compiling per call costs a dict lookup, and a patched table needs no cache of ours.
    return [(re.compile(row["match"], re.IGNORECASE), row["service_level"]) for row in table.get("words", ())]


def service_level_of(
    texts: Iterable[str], codes: Table, *, words: Table = SERVICE_LEVEL_WORDS, owner: Mapping[str, str] | None = None
) -> str | None:
    """The service level of the first text an exact code knows (``owner`` codes, then ``codes["codes"]``,
    both case-insensitive), else of the first text a word matches (``codes``' own words, then ``words``);
    None when nothing matches (the caller says ``unknown`` and warns)."""
    texts = [t for t in texts if t]
    for table in ({str(k).strip().casefold(): v for k, v in (owner or {}).items()},
                  {str(k).strip().casefold(): v for k, v in codes.get("codes", {}).items()}):
        for text in texts:
            if text.strip().casefold() in table:
                return str(table[text.strip().casefold()])
    for text in texts:
        for pattern, level in _words(codes) + _words(words):
            if pattern.search(text):
                return level
    return None


def is_pickup(texts: Iterable[str], codes: Table) -> bool:
    """Whether a shipping method means the customer collects (``pickup_codes`` exact, ``pickup_words`` searched)."""
    texts = [t for t in texts if t]
    exact = {str(c).casefold() for c in codes.get("pickup_codes", ())}
    patterns = [re.compile(p, re.IGNORECASE) for p in codes.get("pickup_words", ())]
    return any(t.casefold() in exact or any(p.search(t) for p in patterns) for t in texts)
