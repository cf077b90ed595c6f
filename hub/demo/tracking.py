"""`hub demo`'s tracking step: one delivery's private tracking link, as its customer would get it, opened over
HTTP while the demo's web app runs, with what the page says."""

from __future__ import annotations

import re
from html import unescape

import requests
from sqlalchemy import select

from hub.canonical.statuses import TERMINAL
from hub.db.models import Delivery
from hub.ledger.tracking_links import tracking_token, tracking_url
from hub.runtime import Runtime


def pick_delivery(runtime: Runtime, tenant_id: str, preferred: list[str]) -> str | None:
    """A delivery still under way among `preferred` (the driven route's), else any of them, else the tenant's newest."""
    with runtime.sessions() as session:
        rows = {d.id: d.status for d in session.execute(
            select(Delivery).where(Delivery.tenant_id == tenant_id, Delivery.id.in_(preferred))).scalars()}
        under_way = [d for d in preferred if rows.get(d) and rows[d] not in TERMINAL]
        if under_way or rows:
            return (under_way or [d for d in preferred if d in rows])[0]
        return session.scalar(select(Delivery.id).where(Delivery.tenant_id == tenant_id)
                              .order_by(Delivery.id.desc()).limit(1))


def tracking_lines(runtime: Runtime, public_url: str, tenant_id: str, preferred: list[str]) -> list[str]:
    delivery_id = pick_delivery(runtime, tenant_id, preferred)
    if delivery_id is None:
        return ["(no delivery to track)"]
    with runtime.sessions() as session:
        token = tracking_token(session, delivery_id)
    if token is None:
        return [f"(delivery {delivery_id} has no tracking link)"]
    url = tracking_url(public_url, token)
    answer = requests.get(f"{url}?lang=en", timeout=10)
    found = re.search(r'<h1 id="headline"[^>]*>([^<]*)</h1>', answer.text)
    headline = unescape(found.group(1)) if found else "?"
    return [f"{url}", f"(delivery {delivery_id}: the page answers {answer.status_code}, \"{headline}\"; "
            f"it updates live while the demo runs)"]
