"""Addresses the tenant has delivered to, with the coordinates their orders carried: how the slot query locates a
street address without a geocoder (the hub calls none). Filled as deliveries are ingested; read by
hub/slots/engine.py `locate`.

An address is known by keys, the same for the ways people write it: the country, the postal code (one key) or the
city (another), and the street line, lower-cased, accents and punctuation dropped, a few street abbreviations spelled out
("Torstr. 109" and "Torstraße 109" are one address), spaces ignored. Unit, floor and second line are left out:
a building's flats share its door. Coordinates the data-quality check doubts (far from the postal code's area)
are not learned.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from datetime import datetime
from typing import Any, Mapping

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.db.engine import upsert_for
from hub.db.models.slots import KnownAddress
from hub.intake.quality import check, normalize_postal_code

# Street words shortened the same way in most addresses of the countries the hub's tables cover; spelled out so
# that either form finds the other. Only whole words (and German "…str" at the end of a word).
ABBREVIATIONS = {"str": "strasse", "st": "street", "rd": "road", "ave": "avenue", "av": "avenue", "blvd": "boulevard",
                 "bd": "boulevard", "dr": "drive", "ln": "lane", "pl": "place", "sq": "square", "avda": "avenida"}
# Flags that say the coordinates or the postal code may be wrong: such an address is not learned.
DOUBTFUL = ("geo_far_from_postal_code", "postal_code_invalid")
MAX_KEY = 300  # the column's length; longer street lines are cut (they stay distinct well before that)


def _words(text: str) -> list[str]:
    plain = "".join(c for c in unicodedata.normalize("NFKD", text.casefold()) if not unicodedata.combining(c))
    return re.findall(r"\w+", plain.replace("_", " "))


def _spelled(word: str) -> str:
    if word in ABBREVIATIONS:
        return ABBREVIATIONS[word]
    if word.endswith("str") and len(word) > 5 and not word.endswith("strasse"):  # Torstr -> torstrasse
        return word + "asse"
    return word


def address_keys(line1: str, postal_code: str, city: str, country: str) -> list[str]:
    """The normalised keys of an address, most precise first: by postal code, by city (a query may give either).
    None without a street line and a country."""
    street = "".join(_spelled(w) for w in _words(line1))
    if not street or not re.fullmatch(r"[A-Za-z]{2}", country.strip()):
        return []
    code = normalize_postal_code(postal_code).replace(" ", "")
    town = "".join(_words(city))
    places = ([f"p:{code}"] if code else []) + ([f"c:{town}"] if town else [])
    return [f"{country.strip().upper()}|{place}|{street}"[:MAX_KEY] for place in places]


def _keys_of(address: Mapping[str, Any]) -> list[str]:
    return address_keys(str(address.get("line1") or ""), str(address.get("postal_code") or ""),
                        str(address.get("city") or ""), str(address.get("country") or ""))


def learn(session: Session, tenant_id: str, content: Mapping[str, Any], now: datetime) -> bool:
    """Remember the drop-off address of a delivery as its source sent it, when it came with coordinates the
    data-quality check does not doubt. True when it was remembered (new or refreshed)."""
    address = (content.get("dropoff") or {}).get("address") or {}
    geo, keys = address.get("geo"), _keys_of(address)
    if not isinstance(geo, Mapping) or not keys:
        return False
    if any(flag["code"] in DOUBTFUL for flag in check({"dropoff": {"address": address}})):
        return False
    lat, lng = float(geo["lat"]), float(geo["lng"])
    # One round trip for every key, atomic against another ingest adding the same address at the same moment (it
    # runs in the API's accept path: select, savepoint, insert and release per key took eight round trips).
    session.execute(_learn_statement(session.get_bind().dialect.name), [
        {"tenant_id": tenant_id, "key": key, "lat": lat, "lng": lng, "seen": 1, "last_seen_at": now} for key in keys])
    return True


@functools.cache
def _learn_statement(dialect: str) -> Any:
    """Built once, rows passed as parameters: with its rows inlined (VALUES (...), (...)) the statement was
    compiled again for every delivery, a sixth of the API's CPU per POST."""
    insert = upsert_for(dialect)(KnownAddress.__table__)
    return insert.on_conflict_do_update(
        index_elements=[KnownAddress.tenant_id, KnownAddress.key],
        set_={"lat": insert.excluded.lat, "lng": insert.excluded.lng, "seen": KnownAddress.__table__.c.seen + 1,
              "last_seen_at": insert.excluded.last_seen_at})


def known_point(session: Session, tenant_id: str, line1: str, postal_code: str, city: str,
                country: str) -> tuple[float, float] | None:
    """The coordinates of an address the tenant delivered to before; one indexed lookup."""
    keys = address_keys(line1, postal_code, city, country)
    if not keys:
        return None
    key = keys[0]  # by postal code when the query gives one, else by city
    found = session.execute(select(KnownAddress.lat, KnownAddress.lng).where(
        KnownAddress.tenant_id == tenant_id, KnownAddress.key == key)).first()
    return (float(found[0]), float(found[1])) if found else None
