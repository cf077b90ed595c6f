"""What a message says about its delivery: the variables its template renders with, and who receives it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from hub.db.models import Delivery, Tenant
from hub.ledger.tracking_links import issue_tracking_link, tracking_url
from hub.notify.formatting import eta_text, window_text
from hub.notify.links import reschedule_url, unsubscribe_token, unsubscribe_url
from hub.notify.optout import normalize
from hub.notify.quiet import customer_zone
from hub.notify.templates import LANGUAGES


@dataclass(frozen=True)
class Links:
    """What the links in messages are made from: the hub's public URL and its secret key (which signs
    unsubscribe links)."""

    public_url: str
    secret_key: str


def language_for(settings: dict[str, Any], document: dict[str, Any]) -> str:
    country = (((document.get("dropoff") or {}).get("address") or {}).get("country") or "").upper()
    language = (settings.get("languages_by_country") or {}).get(country) or settings.get("default_language") or "en"
    return language if language in LANGUAGES else "en"


def recipient(channel: str, document: dict[str, Any]) -> str | None:
    contact = (document.get("dropoff") or {}).get("contact") or {}
    return normalize(channel, contact.get("email") if channel == "email" else contact.get("phone"))


def reference(document: dict[str, Any]) -> str:
    source = document.get("source") or {}
    return str(source.get("external_order_number") or source.get("external_id") or document.get("id") or "")


def sender_name(session: Session, settings: dict[str, Any], tenant_id: str) -> str:
    if settings.get("sender_name"):
        return str(settings["sender_name"])
    tenant = session.get(Tenant, tenant_id)
    return tenant.name if tenant else "Delivery"


def template_context(session: Session, links: Links, settings: dict[str, Any], delivery: Delivery, *,
                     language: str, channel: str, address: str, now: datetime, eta: datetime | None,
                     minutes: int) -> dict[str, Any]:
    document = delivery.document
    zone = customer_zone(settings, document)
    token = issue_tracking_link(session, delivery)
    tracking = tracking_url(links.public_url, token)
    unsubscribe = unsubscribe_url(links.public_url, unsubscribe_token(links.secret_key, delivery.tenant_id, channel,
                                                                      address), language) if channel == "email" else ""
    contact = (document.get("dropoff") or {}).get("contact") or {}
    return {
        "sender_name": sender_name(session, settings, delivery.tenant_id),
        "customer_name": contact.get("name") or "",
        "reference": reference(document),
        "tracking_url": tracking,
        "reschedule_url": reschedule_url(links.public_url, token),
        "window": window_text(document.get("promised_window"), zone, language, now),
        "eta": eta_text(eta, zone, language, now),
        "minutes": minutes,
        "unsubscribe_url": unsubscribe,
    }
