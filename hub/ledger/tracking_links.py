"""Each delivery's private tracking link: the token in `{HUB_PUBLIC_URL}/t/<token>`, made with the delivery.

The token is the only key to the customer's page (hub/customer), in messages to the customer and in store
write-backs; the delivery id never opens it.
"""

from __future__ import annotations

import secrets

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.db.models import Delivery
from hub.db.models.customer import TrackingLink

TOKEN_BYTES = 32  # 256 random bits, URL-safe base64: 43 characters


def issue_tracking_link(session: Session, delivery: Delivery) -> str:
    """The delivery's token, made now if it has none (idempotent)."""
    return tracking_token(session, delivery.id) or new_tracking_link(session, delivery)


def new_tracking_link(session: Session, delivery: Delivery) -> str:
    """A token for a delivery that has none (one created in this transaction)."""
    token = secrets.token_urlsafe(TOKEN_BYTES)
    session.add(TrackingLink(token=token, delivery_id=delivery.id, tenant_id=delivery.tenant_id))
    return token


def tracking_token(session: Session, delivery_id: str) -> str | None:
    return session.scalar(select(TrackingLink.token).where(TrackingLink.delivery_id == delivery_id))


def tracking_url(public_url: str, token: str) -> str:
    return f"{public_url.rstrip('/')}/t/{token}"


def delivery_for_token(session: Session, token: str) -> Delivery | None:
    """The delivery a token opens, or None for a token the hub never made."""
    if not token or len(token) > 64:
        return None
    link = session.get(TrackingLink, token)
    return session.get(Delivery, link.delivery_id) if link else None
