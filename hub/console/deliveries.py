"""Today: every delivery of a day, counted by status and by depot or carrier, filtered and searched; and one
delivery's full timeline (events with the custody check, the assignment decision and its why, the route, the
ETA history, messages sent, proof of delivery with signed links)."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timezone
from typing import Any

from flask import abort, render_template, request
from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.console.blueprint import blp
from hub.console.session import operator, require, same_tenant
from hub.db.media import media_store, signed_url
from hub.db.models import Delivery, DeliveryEvent
from hub.db.models.customer import TrackingLink
from hub.db.models.fleet import Assignment, Carrier, Depot
from hub.execution.custody import media_refs, verify_custody
from hub.ledger.events import load_chain
from hub.ledger.tracking_links import tracking_url
from hub.runtime import get_runtime
from hub.tracking.service import route_of_delivery

# A page lists at most this many deliveries (a busy depot's day); the counts above the list cover them all.
PAGE_SIZE = 500
MESSAGE_TYPES = ("message", "notif", "sms", "email")  # event types that say a customer was told something


@dataclass
class Row:
    delivery: Delivery
    where_id: str | None
    where: str

    @property
    def order(self) -> str:
        """The order as the store knows it: the source's external id."""
        return self.delivery.external_id

    @property
    def order_number(self) -> str:
        return str((self.delivery.document.get("source") or {}).get("external_order_number") or "")

    @property
    def customer(self) -> str:
        return str(((self.delivery.document.get("dropoff") or {}).get("contact") or {}).get("name") or "")

    @property
    def postal_code(self) -> str:
        return str(((self.delivery.document.get("dropoff") or {}).get("address") or {}).get("postal_code") or "")

    @property
    def window(self) -> str:
        win = self.delivery.document.get("promised_window") or {}
        return " – ".join(clock(win.get(k)) for k in ("start", "end") if win.get(k))

    def matches(self, query: str) -> bool:
        needle = query.strip().lower()
        return not needle or any(needle in value.lower() for value in (
            self.order, self.order_number, self.customer, self.postal_code, self.delivery.id))


def summarize(event: DeliveryEvent) -> str:
    """One line saying what the event did, for the timeline."""
    data = event.data or {}
    if event.type == "delivery.status_changed":
        return f"{data.get('previous_status', '?')} → {data.get('status')}" + (f": {data['reason']}" if data.get("reason") else "")
    if event.type == "delivery.exception":
        return f"{data.get('code')}: {data.get('message', '')}"
    if event.type == "delivery.recovery":
        window = data.get("window") or {}
        return f"{data.get('action')} → {data.get('status')}" + (f", new window {window.get('start')}" if window else "")
    if event.type == "delivery.assigned":
        return f"{data.get('capacity')} {data.get('depot_id') or data.get('carrier_id') or ''}: {data.get('reason', '')}"
    if event.type == "delivery.created":
        return f"received as {(data.get('delivery') or {}).get('status', 'new')}"
    if event.type == "delivery.updated":
        return "changed: " + ", ".join(map(str, data.get("changed") or [])) if data.get("changed") else "document changed"
    if event.type == "delivery.handoff":
        def holder(value: Any) -> str:
            value = value if isinstance(value, dict) else {}
            return f"{value.get('kind', '?')} {value.get('name') or value.get('id') or ''}".strip()
        return f"{holder(data.get('from'))} → {holder(data.get('to'))}"
    if event.type == "delivery.pod_captured":
        return f"proof captured{', received by ' + data['recipient_name'] if data.get('recipient_name') else ''}"
    if event.type.startswith("route."):
        return f"route {data.get('route_id', '?')}, driver {data.get('driver_id') or 'none'}"
    if event.type == "delivery.eta_changed":
        return f"ETA {data.get('eta')}" + (f" (was {data['previous_eta']})" if data.get("previous_eta") else "")
    for key in ("note", "reason", "message"):
        if isinstance(data.get(key), str) and data[key]:
            return data[key]
    text = json.dumps(data, sort_keys=True, default=str)
    return text if len(text) <= 160 else text[:157] + "..."


def clock(value: Any) -> str:
    """'2026-12-06T14:00:00+01:00' -> '14:00' (the time as the window states it)."""
    text = value.isoformat() if isinstance(value, datetime) else str(value or "")
    return text[11:16] if len(text) >= 16 else text


def parse_day(value: str | None) -> date:
    try:
        return date.fromisoformat(value) if value else datetime.now(timezone.utc).date()
    except ValueError:
        abort(400, f"{value!r} is not a day: write it as YYYY-MM-DD")


def places(db: Session, tenant_id: str) -> dict[str, str]:
    """Depot and carrier ids -> their names."""
    names = {d.id: d.name for d in db.execute(select(Depot).where(Depot.tenant_id == tenant_id)).scalars()}
    names.update({c.id: c.name for c in db.execute(select(Carrier).where(Carrier.tenant_id == tenant_id)).scalars()})
    return names


def latest_assignments(db: Session, delivery_ids: list[str]) -> dict[str, Assignment]:
    latest: dict[str, Assignment] = {}
    for start in range(0, len(delivery_ids), 500):  # IN lists stay well under every database's parameter limit
        for row in db.execute(select(Assignment).where(Assignment.delivery_id.in_(delivery_ids[start:start + 500]))).scalars():
            if row.delivery_id not in latest or row.attempt > latest[row.delivery_id].attempt:
                latest[row.delivery_id] = row
    return latest


def day_rows(db: Session, tenant_id: str, day: date) -> list[Row]:
    deliveries = db.execute(select(Delivery).where(Delivery.tenant_id == tenant_id, Delivery.window_day == day)
                            .order_by(Delivery.created_at.desc())).scalars().all()
    names = places(db, tenant_id)
    assigned = latest_assignments(db, [d.id for d in deliveries])
    rows = []
    for delivery in deliveries:
        row = assigned.get(delivery.id)
        where_id = row.candidate_id if row is not None else None
        rows.append(Row(delivery, where_id, names.get(where_id or "", "not assigned")))
    return rows


@blp.route("/today")
@require("see")
def today() -> str:
    day = parse_day(request.args.get("day"))
    status, where, query = request.args.get("status", ""), request.args.get("where", ""), request.args.get("q", "")
    with get_runtime().sessions() as db:
        rows = day_rows(db, operator().tenant_id, day)
        by_status = Counter(r.delivery.status for r in rows)
        by_where = Counter((r.where_id or "", r.where) for r in rows)
        shown = [r for r in rows if (not status or r.delivery.status == status)
                 and (not where or (r.where_id or "") == where) and r.matches(query)]
        return render_template("console/today.html", day=day, rows=shown[:PAGE_SIZE], total=len(rows),
                               matched=len(shown), by_status=sorted(by_status.items()),
                               by_where=sorted(by_where.items(), key=lambda item: item[0][1]),
                               status=status, where=where, query=query)


def _assignment_view(db: Session, delivery_id: str, names: dict[str, str]) -> list[dict[str, Any]]:
    rows = db.execute(select(Assignment).where(Assignment.delivery_id == delivery_id)
                      .order_by(Assignment.attempt.desc())).scalars().all()
    return [{"attempt": r.attempt, "state": r.state, "capacity": r.capacity, "reason": r.reason,
             "chosen": names.get(r.candidate_id or "", r.candidate_id or "nobody"),
             "candidates": (r.decision or {}).get("candidates") or (r.decision or {}).get("evaluations") or [],
             "actor": r.actor, "created_at": r.created_at} for r in rows]


def _pods(events: list[DeliveryEvent]) -> list[dict[str, Any]]:
    config = get_runtime().config
    return [{"event": e, "links": [(ref.get("id"), signed_url(config, str(ref["id"])))
                                   for ref in media_refs(e.data or {}) if str(ref.get("id", "")).startswith("med_")]}
            for e in events if e.type == "delivery.pod_captured"]


@blp.route("/deliveries/<delivery_id>")
@require("see")
def timeline(delivery_id: str) -> str:
    runtime = get_runtime()
    with runtime.sessions() as db:
        delivery = same_tenant(db.get(Delivery, delivery_id))
        events, _ = load_chain(db, delivery.id)
        custody = verify_custody(db, media_store(runtime.config), delivery)
        broken = custody.first_broken
        names = places(db, delivery.tenant_id)
        routed = route_of_delivery(db, delivery)
        link = db.execute(select(TrackingLink.token).where(TrackingLink.delivery_id == delivery.id)).scalar()
        return render_template(
            "console/timeline.html", delivery=delivery, row=Row(delivery, None, ""), events=events,
            custody=custody, broken_sequence=broken["sequence"] if broken else None,
            assignments=_assignment_view(db, delivery.id, names), route=routed,
            etas=[e for e in events if e.type == "delivery.eta_changed"],
            messages=[e for e in events if any(word in e.type for word in MESSAGE_TYPES)],
            summarize=summarize, pods=_pods(events), tracking=tracking_url(runtime.config.public_url, link) if link else None)
