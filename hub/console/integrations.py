"""Integrations health: each installation's status, its last webhook, the inbound requests that failed and
why, its pulls, the write-backs that failed; each subscription's delivery log with failures, and replay
(admins: the same hub.webhooks.service.replay that POST /api/v1/subscriptions/<id>/replay calls)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hub.console.blueprint import blp
from hub.console.session import operator, require, same_tenant
from hub.db.engine import transaction
from hub.db.models import DeliveryEvent, InboxItem, Installation, OutboxItem, utcnow
from hub.db.models.webhooks import WebhookDelivery, WebhookSubscription
from hub.ledger.installations import list_installations
from hub.runtime import get_runtime
from hub.webhooks import service as webhooks

FAILED_INBOX = ("failed", "rejected")
WRITEBACK_KINDS = ("writeback", "pick_by")
RECENT = 20  # rows per list: the newest failures say what is wrong; the API pages through the rest
# "Replay the last day": a receiver that was down overnight gets everything it missed, and no more.
REPLAY_WINDOW = timedelta(hours=24)


def _installation_health(db: Session, installation: Installation) -> dict[str, Any]:
    last = db.execute(select(func.max(InboxItem.received_at)).where(
        InboxItem.installation_id == installation.id)).scalar()
    failed = db.execute(select(InboxItem).where(InboxItem.installation_id == installation.id,
                                                InboxItem.state.in_(FAILED_INBOX))
                        .order_by(InboxItem.id.desc()).limit(RECENT)).scalars().all()
    poll = (installation.state or {}).get("poll")  # only the pull record: the rest of state holds secrets
    return {"installation": installation, "last_received": last, "failed": [
        {"id": i.id, "received_at": i.received_at, "state": i.state, "path": i.path,
         "reason": (i.outcome or {}).get("reason") or "; ".join(
             str(e.get("reason")) for e in (i.outcome or {}).get("events", []) if isinstance(e, dict) and e.get("reason"))
         or i.verification or ""} for i in failed],
        "poll": poll if isinstance(poll, dict) else None}


def _failed_writebacks(db: Session, tenant_id: str) -> list[dict[str, Any]]:
    rows = db.execute(select(OutboxItem).where(
        OutboxItem.tenant_id == tenant_id, OutboxItem.kind.in_(WRITEBACK_KINDS), OutboxItem.last_error.is_not(None))
        .order_by(OutboxItem.id.desc()).limit(RECENT)).scalars().all()
    return [{"id": r.id, "kind": r.kind, "state": r.state, "attempts": r.attempts, "error": r.last_error,
             "delivery_id": (r.payload or {}).get("delivery_id"), "at": r.processed_at or r.created_at} for r in rows]


def _subscription_health(db: Session, subscription: WebhookSubscription) -> dict[str, Any]:
    log = db.execute(select(WebhookDelivery).where(WebhookDelivery.subscription_id == subscription.id)
                     .order_by(WebhookDelivery.id.desc()).limit(RECENT)).scalars().all()
    counts = dict(db.execute(select(WebhookDelivery.state, func.count()).where(
        WebhookDelivery.subscription_id == subscription.id).group_by(WebhookDelivery.state)).all())
    return {"subscription": subscription, "log": log, "counts": counts}


@blp.route("/integrations")
@require("see")
def integrations() -> str:
    tenant_id = operator().tenant_id
    with get_runtime().sessions() as db:
        installations = [_installation_health(db, i) for i in list_installations(db, tenant_id)]
        subscriptions = [_subscription_health(db, s) for s in db.execute(select(WebhookSubscription).where(
            WebhookSubscription.tenant_id == tenant_id).order_by(WebhookSubscription.id)).scalars()]
        api_failed = db.execute(select(InboxItem).where(
            InboxItem.tenant_id == tenant_id, InboxItem.installation_id.is_(None), InboxItem.state.in_(FAILED_INBOX))
            .order_by(InboxItem.id.desc()).limit(RECENT)).scalars().all()
        return render_template("console/integrations.html", installations=installations, subscriptions=subscriptions,
                               writebacks=_failed_writebacks(db, tenant_id), api_failed=api_failed,
                               replay_hours=int(REPLAY_WINDOW.total_seconds() // 3600))


@blp.route("/integrations/subscriptions/<subscription_id>/replay", methods=["POST"])
@require("manage")
def replay(subscription_id: str) -> Any:
    """Send again what the subscription wants: one event (event_id) or everything of the last day."""
    event_id = (request.form.get("event_id") or "").strip()
    now = utcnow()
    with transaction(get_runtime().sessions) as db:
        subscription = same_tenant(db.get(WebhookSubscription, subscription_id))
        if not subscription.enabled:
            flash("This subscription is disabled: enable it first (PATCH /api/v1/subscriptions/<id>).", "error")
            return redirect(url_for("console.integrations"))
        if event_id:
            event = db.get(DeliveryEvent, event_id)
            if event is None or event.tenant_id != subscription.tenant_id:
                abort(404)
            events = [event]
        else:
            events = webhooks.events_since(db, subscription.tenant_id, now - REPLAY_WINDOW)
        sent = webhooks.replay(db, subscription, events, now)
    flash(f"{len(sent)} message(s) queued again for {subscription.url}.", "ok")
    return redirect(url_for("console.integrations"))
