"""The customer's rating of a delivery (1-5 and an optional comment), sent from the tracking page's form and
stored once per delivery as a `delivery.rated` event (schemas/events/rated.v1.json).

The token in the URL is the capability; the form also carries a nonce the hub signed for this page and token,
so a form on another site cannot post a rating through a link it guessed or saw (CSRF), and an old page
cannot post forever.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.canonical.validation import validate_document
from hub.db.models import Delivery, DeliveryEvent
from hub.ledger.events import append_event

RATED = "delivery.rated"
CUSTOMER = {"kind": "customer"}
# Long enough to read the page, look at the photo and write a few lines; a page left open overnight asks again.
NONCE_TTL_S = 6 * 3600
MAX_COMMENT = 1000  # schemas/events/rated.v1.json's maxLength


class RatingRefused(Exception):
    """Why a rating was not stored, in the page's own words (hub/customer/words.py keys)."""


def _sign(secret: str, token: str, issued: int) -> str:
    return hmac.new(secret.encode(), f"rating.{token}.{issued}".encode(), hashlib.sha256).hexdigest()


def form_nonce(secret: str, token: str, *, now: float | None = None) -> str:
    issued = int(time.time() if now is None else now)
    return f"{issued}.{_sign(secret, token, issued)}"


def nonce_ok(secret: str, token: str, nonce: str | None, *, now: float | None = None) -> bool:
    issued_text, _, signature = (nonce or "").partition(".")
    if not issued_text.isdigit() or not signature:
        return False
    issued = int(issued_text)
    age = (time.time() if now is None else now) - issued
    return 0 <= age <= NONCE_TTL_S and hmac.compare_digest(_sign(secret, token, issued), signature)


def parse_rating(form: Any) -> dict[str, Any]:
    raw = str(form.get("rating") or "")
    if raw not in ("1", "2", "3", "4", "5"):
        raise RatingRefused("Please choose a rating from 1 to 5.")
    data: dict[str, Any] = {"rating": int(raw)}
    comment = " ".join(str(form.get("comment") or "").split())[:MAX_COMMENT]  # one line, bounded
    if comment:
        data["comment"] = comment
    return data


def already_rated(session: Session, delivery_id: str) -> dict[str, Any] | None:
    found = session.execute(select(DeliveryEvent.data).where(
        DeliveryEvent.delivery_id == delivery_id, DeliveryEvent.type == RATED).limit(1)).scalar_one_or_none()
    return dict(found) if found is not None else None


def record_rating(session: Session, delivery: Delivery, data: dict[str, Any]) -> bool:
    """Store the rating; False when the delivery already has one (the first one stands)."""
    if delivery.status != "delivered":
        raise RatingRefused("Ratings open once the parcel is delivered.")
    if already_rated(session, delivery.id) is not None:
        return False
    errors = validate_document("events/rated.v1", data)
    if errors:  # parse_rating built it: a bug, never the customer's fault
        raise ValueError(f"rated event does not match its schema: {errors}")
    append_event(session, delivery, RATED, data, actor=CUSTOMER)
    return True
