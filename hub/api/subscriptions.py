"""Webhook subscriptions: endpoints that receive signed events, their delivery log, dead letters, replay."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import request
from flask_smorest import Blueprint
from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.api.auth import current, require_role
from hub.api.errors import ApiError, not_found
from hub.api.requests import decode_cursor, encode_cursor, json_body, limit_arg
from hub.canonical.fields import parse_aware_timestamp
from hub.db.engine import transaction
from hub.db.models import DeliveryEvent, utcnow
from hub.db.models.webhooks import STATES, WebhookAttempt, WebhookDelivery, WebhookSubscription
from hub.ledger.events import iso
from hub.runtime import get_runtime
from hub.webhooks import service

blp = Blueprint("subscriptions", __name__, url_prefix="/api/v1/subscriptions",
                description="Outbound webhooks (Standard Webhooks) to your endpoints")


def _load(session: Session, subscription_id: str) -> WebhookSubscription:
    subscription = session.get(WebhookSubscription, subscription_id)
    if subscription is None or subscription.tenant_id != current().tenant_id:
        raise not_found("subscription", subscription_id)
    return subscription


def _object_body() -> dict[str, Any]:
    body, _ = json_body()
    if not isinstance(body, dict):
        raise ApiError(422, "validation_failed", "the body must be a JSON object", [{"path": "$", "message": "not an object"}])
    return body


def _invalid(exc: service.Invalid) -> ApiError:
    return ApiError(422, "validation_failed", exc.message, exc.details)


def _allow_private() -> bool:
    return get_runtime().config.allow_private_webhook_targets


@blp.route("", methods=["POST"])
@blp.doc(summary="Subscribe an endpoint",
         description='Body: {"url": "https://...", "event_types": ["delivery.status_changed", "route.*"], '
         '"description": "...", "enabled": true}. The answer holds the signing secret (whsec_...): it is shown '
         "this once. URLs on private, loopback or link-local addresses are refused.")
@require_role("admin")
def create() -> tuple[dict[str, Any], int, dict[str, str]]:
    body = _object_body()
    with transaction(get_runtime().sessions) as session:
        try:
            subscription, secret = service.create_subscription(session, current().tenant_id, body,
                                                               allow_private=_allow_private())
        except service.Invalid as exc:
            raise _invalid(exc) from None
        answer = {**service.describe(subscription), "secret": secret}
    return answer, 201, {"Location": f"/api/v1/subscriptions/{answer['id']}"}


@blp.route("", methods=["GET"])
@blp.doc(summary="List subscriptions", description="Secrets are never shown again.")
@require_role("admin")
def index() -> dict[str, Any]:
    with get_runtime().sessions() as session:
        rows = session.execute(select(WebhookSubscription).where(
            WebhookSubscription.tenant_id == current().tenant_id).order_by(WebhookSubscription.id)).scalars().all()
        return {"items": [service.describe(s) for s in rows]}


@blp.route("/<subscription_id>", methods=["GET"])
@blp.doc(summary="Get a subscription", description="disabled_reason says why the hub turned it off, if it did.")
@require_role("admin")
def show(subscription_id: str) -> dict[str, Any]:
    with get_runtime().sessions() as session:
        return service.describe(_load(session, subscription_id))


@blp.route("/<subscription_id>", methods=["PATCH"])
@blp.doc(summary="Change url, event_types, description or enabled",
         description="enabled: true turns a disabled subscription back on (replay what it missed).")
@require_role("admin")
def update(subscription_id: str) -> dict[str, Any]:
    body = _object_body()
    with transaction(get_runtime().sessions) as session:
        subscription = _load(session, subscription_id)
        try:
            service.apply_changes(subscription, body, allow_private=_allow_private())
        except service.Invalid as exc:
            raise _invalid(exc) from None
        if not subscription.enabled:
            service.disable(session, subscription, subscription.disabled_reason or "disabled by an operator", utcnow())
        session.flush()
        return service.describe(subscription)


@blp.route("/<subscription_id>", methods=["DELETE"])
@blp.doc(summary="Delete a subscription", description="Its delivery log goes with it.")
@require_role("admin")
def delete(subscription_id: str) -> tuple[str, int]:
    with transaction(get_runtime().sessions) as session:
        session.delete(_load(session, subscription_id))
    return "", 204


@blp.route("/<subscription_id>/rotate-secret", methods=["POST"])
@blp.doc(summary="Rotate the signing secret",
         description="Answers with the new secret, once. For 24 hours every message carries two signatures "
         "(new and old secret) in webhook-signature, so receivers can switch without losing messages.")
@require_role("admin")
def rotate(subscription_id: str) -> dict[str, Any]:
    with transaction(get_runtime().sessions) as session:
        subscription = _load(session, subscription_id)
        secret = service.rotate_secret(subscription)
        session.flush()
        return {**service.describe(subscription), "secret": secret}


def _attempt(a: WebhookAttempt) -> dict[str, Any]:
    return {"attempted_at": iso(a.attempted_at), "status_code": a.status_code, "duration_ms": a.duration_ms,
            "response_body": a.response_body, "error": a.error, "outcome": a.outcome}


def _delivery(row: WebhookDelivery, attempts: list[WebhookAttempt]) -> dict[str, Any]:
    return {
        "id": row.id, "webhook_id": row.id, "event_id": row.event_id, "event_type": row.event_type,
        "delivery_id": row.delivery_id, "sequence": row.sequence, "state": row.state, "attempt_count": row.attempts,
        "next_attempt_at": iso(row.next_attempt_at) if row.next_attempt_at and row.state in ("pending", "retrying") else None,
        "last_status_code": row.last_status_code, "last_error": row.last_error, "created_at": iso(row.created_at),
        "completed_at": iso(row.completed_at) if row.completed_at else None,
        "attempts": [_attempt(a) for a in attempts],
    }


@blp.route("/<subscription_id>/deliveries", methods=["GET"])
@blp.doc(summary="Delivery log, newest first, with every attempt",
         description="Filter with state=pending,retrying,succeeded,dead (state=dead is the dead-letter view); "
         "pass next_cursor back as cursor for the next page.")
@require_role("admin")
def deliveries(subscription_id: str) -> dict[str, Any]:
    limit = limit_arg()
    with get_runtime().sessions() as session:
        subscription = _load(session, subscription_id)
        query = select(WebhookDelivery).where(WebhookDelivery.subscription_id == subscription.id)
        if request.args.get("state"):
            states = request.args["state"].split(",")
            if set(states) - set(STATES):
                raise ApiError(400, "bad_query", f"unknown state {sorted(set(states) - set(STATES))}",
                               [{"path": "query.state", "message": f"known: {', '.join(STATES)}"}])
            query = query.where(WebhookDelivery.state.in_(states))
        if (cursor := decode_cursor(request.args.get("cursor"))) is not None:
            query = query.where(WebhookDelivery.id < cursor)  # ids sort by creation time
        rows = session.execute(query.order_by(WebhookDelivery.id.desc()).limit(limit + 1)).scalars().all()
        page = rows[:limit]
        attempts: dict[str, list[WebhookAttempt]] = {row.id: [] for row in page}
        if page:
            for a in session.execute(select(WebhookAttempt).where(WebhookAttempt.webhook_delivery_id.in_(list(attempts)))
                                     .order_by(WebhookAttempt.id)).scalars():
                attempts[a.webhook_delivery_id].append(a)
        return {"items": [_delivery(row, attempts[row.id]) for row in page],
                "next_cursor": encode_cursor(page[-1].id) if len(rows) > limit else None}


def _since(value: Any) -> datetime:
    moment = parse_aware_timestamp(value)
    if moment is None:
        raise ApiError(422, "validation_failed", "since must be an ISO 8601 date-time with a timezone",
                       [{"path": "$.since", "message": f"not a date-time with timezone: {value!r}"}])
    return moment


@blp.route("/<subscription_id>/replay", methods=["POST"])
@blp.doc(summary="Send events again",
         description='Body: {"event_id": "evt_..."} for one event, or {"since": "2026-11-25T08:00:00Z"} for every '
         "event recorded since then that the subscription wants. Each goes out with its original webhook-id, "
         "so receivers that de-duplicate see it once.")
@require_role("admin")
def replay(subscription_id: str) -> tuple[dict[str, Any], int]:
    body = _object_body()
    if ("event_id" in body) == ("since" in body):
        raise ApiError(422, "validation_failed", "send either event_id or since",
                       [{"path": "$", "message": "exactly one of event_id, since"}])
    caller, now = current(), utcnow()
    with transaction(get_runtime().sessions) as session:
        subscription = _load(session, subscription_id)
        if not subscription.enabled:
            raise ApiError(409, "subscription_disabled", "enable the subscription first (PATCH enabled: true)",
                           [{"path": "$.enabled", "message": subscription.disabled_reason or "disabled"}])
        if "event_id" in body:
            event = session.get(DeliveryEvent, str(body["event_id"]))
            if event is None or event.tenant_id != caller.tenant_id:
                raise ApiError(422, "validation_failed", "no such event",
                               [{"path": "$.event_id", "message": f"no event {body['event_id']!r}"}])
            if not service.subscribes_to(subscription, event.type):
                raise ApiError(422, "validation_failed", f"this subscription does not receive {event.type}",
                               [{"path": "$.event_id", "message": f"{event.type} is not in event_types"}])
            events = [event]
        else:
            events = service.events_since(session, caller.tenant_id, _since(body["since"]))
        ids = service.replay(session, subscription, events, now)
    return {"replayed": len(ids), "webhook_ids": ids,
            "truncated": "since" in body and len(events) >= service.REPLAY_LIMIT}, 202
