"""Webhook subscriptions: endpoints that receive signed events, their delivery log, dead letters, replay."""

from __future__ import annotations

import itertools
from datetime import timezone
from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema
from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.api.auth import current, require_role
from hub.api.declare import Blueprint, Page, cursor_field
from hub.api.errors import ApiError, not_found
from hub.api.requests import decode_cursor, encode_cursor
from hub.canonical import EVENT_TYPES
from hub.canonical.fields import StrictBoolean, Timestamp
from hub.db.engine import transaction
from hub.db.models import DeliveryEvent, utcnow
from hub.db.models.webhooks import STATES, WebhookAttempt, WebhookDelivery, WebhookSubscription
from hub.egress.targets import TargetRefused, check_syntax
from hub.ledger.events import iso
from hub.plugins.settings import VISIBLE, Pattern
from hub.runtime import get_runtime
from hub.webhooks import service

blp = Blueprint("subscriptions", __name__, url_prefix="/api/v1/subscriptions",
                description="Outbound webhooks (Standard Webhooks) to your endpoints")


def _patterns() -> list[str]:
    """What event_types may hold: each event type with any of its words replaced by *, and * alone."""
    found = {"*"}
    for event_type in EVENT_TYPES:
        words = event_type.split(".")
        for wild in itertools.product((False, True), repeat=len(words)):
            found.add(".".join("*" if w else word for word, w in zip(words, wild)))
    return sorted(found)


EVENT_PATTERNS = _patterns()

# What the egress guard's syntax check takes (hub.egress.targets.check_syntax), written so clients see it: an
# http(s) URL with a host name or an IP literal, a port within range, no credentials. Whether the host is one
# the hub may call (a public address) is checked when saved, and before every delivery.
_H16 = "[0-9A-Fa-f]{1,4}"
_OCTET = r"(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
_IPV4 = rf"{_OCTET}(\.{_OCTET}){{3}}"
_LS32 = f"({_H16}:{_H16}|{_IPV4})"
_IPV6 = "|".join([
    f"({_H16}:){{6}}{_LS32}", f"::({_H16}:){{5}}{_LS32}", f"({_H16})?::({_H16}:){{4}}{_LS32}",
    f"(({_H16}:){{0,1}}{_H16})?::({_H16}:){{3}}{_LS32}", f"(({_H16}:){{0,2}}{_H16})?::({_H16}:){{2}}{_LS32}",
    f"(({_H16}:){{0,3}}{_H16})?::{_H16}:{_LS32}", f"(({_H16}:){{0,4}}{_H16})?::{_LS32}",
    f"(({_H16}:){{0,5}}{_H16})?::{_H16}", f"(({_H16}:){{0,6}}{_H16})?::",
])
_PORT = r"(6553[0-5]|655[0-2][0-9]|65[0-4][0-9][0-9]|6[0-4][0-9]{3}|[1-5][0-9]{4}|[0-9]{1,4})"
URL_PATTERN = rf"^[Hh][Tt][Tt][Pp][Ss]?://([A-Za-z0-9._~-]+|\[({_IPV6})\])(:{_PORT})?([/?#]{VISIBLE}*)?$"


def _url_syntax(value: str) -> None:
    try:
        check_syntax(value)
    except TargetRefused as exc:
        raise ValidationError(str(exc)) from None


def url_field(**kwargs: Any) -> fields.String:
    return fields.String(validate=[Pattern(URL_PATTERN, error="Not an http(s) URL with a host (and no user "
                                                   "name or password)."), _url_syntax],
                         metadata={"description": "Where the hub POSTs events: https://..."}, **kwargs)


def event_types_field(**kwargs: Any) -> fields.List:
    return fields.List(
        fields.String(validate=validate.OneOf(EVENT_PATTERNS, error="{input!r} names no known event type; known: "
                                              + ", ".join(EVENT_TYPES) + " (any word may be *)")),
        validate=validate.Length(min=1, error="Name at least one event type or pattern."),
        metadata={"description": 'Event types, or patterns where * stands for a word ("delivery.*")'}, **kwargs)


class SubscriptionBody(Schema):
    url = url_field(required=True)
    event_types = event_types_field(required=True)
    description = fields.String(metadata={"description": "For people; cut at 500 characters"})
    enabled = StrictBoolean(load_default=True)


class SubscriptionChanges(Schema):
    url = url_field()
    event_types = event_types_field()
    description = fields.String()
    enabled = StrictBoolean(metadata={"description": "true turns a disabled subscription back on"})


class SubscriptionSchema(Schema):
    id = fields.String(required=True)
    url = fields.String(required=True)
    event_types = fields.List(fields.String(), required=True)
    description = fields.String(required=True, allow_none=True)
    enabled = fields.Boolean(required=True)
    disabled_reason = fields.String(required=True, allow_none=True)
    disabled_at = fields.String(required=True, allow_none=True, metadata={"format": "date-time"})
    consecutive_failures = fields.Integer(required=True)
    failing_since = fields.String(required=True, allow_none=True, metadata={"format": "date-time"})
    previous_secret_expires_at = fields.String(required=True, allow_none=True, metadata={"format": "date-time"})
    created_at = fields.String(required=True, allow_none=True, metadata={"format": "date-time"})
    updated_at = fields.String(required=True, allow_none=True, metadata={"format": "date-time"})


class SubscriptionWithSecret(SubscriptionSchema):
    secret = fields.String(required=True, metadata={"description": "The signing secret (whsec_...): shown this once"})


class SubscriptionList(Schema):
    items = fields.List(fields.Nested(SubscriptionSchema), required=True)


STATE_LIST = "^({0})(,({0}))*$".format("|".join(STATES))


class DeliveryLogQuery(Schema):
    state = fields.String(validate=validate.Regexp(STATE_LIST, error=f"Not a state or a comma-separated list of "
                                                   f"states ({', '.join(STATES)})."),
                          metadata={"description": "One state or several, comma-separated; dead is the dead letters"})
    cursor = cursor_field()
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=500))


class AttemptSchema(Schema):
    attempted_at = fields.String(required=True, allow_none=True, metadata={"format": "date-time"})
    status_code = fields.Integer(required=True, allow_none=True)
    duration_ms = fields.Integer(required=True, allow_none=True)
    response_body = fields.String(required=True, allow_none=True)
    error = fields.String(required=True, allow_none=True)
    outcome = fields.String(required=True, allow_none=True)


class WebhookDeliverySchema(Schema):
    id = fields.String(required=True)
    webhook_id = fields.String(required=True, metadata={"description": "The webhook-id header it is sent with"})
    event_id = fields.String(required=True, allow_none=True)
    event_type = fields.String(required=True)
    delivery_id = fields.String(required=True, allow_none=True)
    sequence = fields.Integer(required=True, allow_none=True)
    state = fields.String(required=True, validate=validate.OneOf(STATES))
    attempt_count = fields.Integer(required=True)
    next_attempt_at = fields.String(required=True, allow_none=True, metadata={"format": "date-time"})
    last_status_code = fields.Integer(required=True, allow_none=True)
    last_error = fields.String(required=True, allow_none=True)
    created_at = fields.String(required=True, allow_none=True, metadata={"format": "date-time"})
    completed_at = fields.String(required=True, allow_none=True, metadata={"format": "date-time"})
    attempts = fields.List(fields.Nested(AttemptSchema), required=True)


class DeliveryLogPage(Page):
    items = fields.List(fields.Nested(WebhookDeliverySchema), required=True)


class ReplayBody(Schema):
    class Meta:
        openapi = {"minProperties": 1, "maxProperties": 1}  # exactly one of event_id, since

    event_id = fields.String(metadata={"description": "One event to send again"})
    since = Timestamp(metadata={"description": "Every event recorded since then that the subscription wants"})

    @validates_schema
    def _exactly_one(self, data: dict[str, Any], **kwargs: Any) -> None:
        if ("event_id" in data) == ("since" in data):
            raise ValidationError("send either event_id or since")


class Replayed(Schema):
    replayed = fields.Integer(required=True)
    webhook_ids = fields.List(fields.String(), required=True)
    truncated = fields.Boolean(required=True, metadata={"description": "True when more events than one replay "
                                                                       "sends matched: ask again with a later since"})


def _load(session: Session, subscription_id: str) -> WebhookSubscription:
    subscription = session.get(WebhookSubscription, subscription_id)
    if subscription is None or subscription.tenant_id != current().tenant_id:
        raise not_found("subscription", subscription_id)
    return subscription


def _invalid(exc: service.Invalid) -> ApiError:
    return ApiError(422, "validation_failed", exc.message, exc.details)


def _allow_private() -> bool:
    return get_runtime().config.allow_private_webhook_targets


@blp.route("", methods=["POST"])
@blp.doc(summary="Subscribe an endpoint",
         description='Body: {"url": "https://...", "event_types": ["delivery.status_changed", "route.*"], '
         '"description": "...", "enabled": true}. The answer holds the signing secret (whsec_...): it is shown '
         "this once. URLs on private, loopback or link-local addresses are refused.")
@blp.arguments(SubscriptionBody)
@blp.response(201, SubscriptionWithSecret, headers={"Location": {"description": "The subscription's URL",
                                                                 "schema": {"type": "string"}}})
@require_role("admin")
def create(body: dict[str, Any]) -> tuple[dict[str, Any], int, dict[str, str]]:
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
@blp.response(200, SubscriptionList)
@require_role("admin")
def index() -> dict[str, Any]:
    with get_runtime().sessions() as session:
        rows = session.execute(select(WebhookSubscription).where(
            WebhookSubscription.tenant_id == current().tenant_id).order_by(WebhookSubscription.id)).scalars().all()
        return {"items": [service.describe(s) for s in rows]}


@blp.route("/<subscription_id>", methods=["GET"])
@blp.doc(summary="Get a subscription", description="disabled_reason says why the hub turned it off, if it did.")
@blp.response(200, SubscriptionSchema)
@require_role("admin")
def show(subscription_id: str) -> dict[str, Any]:
    with get_runtime().sessions() as session:
        return service.describe(_load(session, subscription_id))


@blp.route("/<subscription_id>", methods=["PATCH"])
@blp.doc(summary="Change url, event_types, description or enabled",
         description="enabled: true turns a disabled subscription back on (replay what it missed).")
@blp.arguments(SubscriptionChanges)
@blp.response(200, SubscriptionSchema)
@require_role("admin")
def update(body: dict[str, Any], subscription_id: str) -> dict[str, Any]:
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
@blp.response(204)
@require_role("admin")
def delete(subscription_id: str) -> tuple[str, int]:
    with transaction(get_runtime().sessions) as session:
        session.delete(_load(session, subscription_id))
    return "", 204


@blp.route("/<subscription_id>/rotate-secret", methods=["POST"])
@blp.doc(summary="Rotate the signing secret",
         description="Answers with the new secret, once. For 24 hours every message carries two signatures "
         "(new and old secret) in webhook-signature, so receivers can switch without losing messages.")
@blp.response(200, SubscriptionWithSecret)
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
@blp.arguments(DeliveryLogQuery, location="query")
@blp.response(200, DeliveryLogPage)
@require_role("admin")
def deliveries(args: dict[str, Any], subscription_id: str) -> dict[str, Any]:
    limit = args["limit"]
    with get_runtime().sessions() as session:
        subscription = _load(session, subscription_id)
        query = select(WebhookDelivery).where(WebhookDelivery.subscription_id == subscription.id)
        if args.get("state"):
            query = query.where(WebhookDelivery.state.in_(args["state"].split(",")))
        if (cursor := decode_cursor(args.get("cursor"))) is not None:
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


@blp.route("/<subscription_id>/replay", methods=["POST"])
@blp.doc(summary="Send events again",
         description='Body: {"event_id": "evt_..."} for one event, or {"since": "2026-11-25T08:00:00Z"} for every '
         "event recorded since then that the subscription wants. Each goes out with its original webhook-id, "
         "so receivers that de-duplicate see it once. 404 for an event this tenant does not have; 409 when the "
         "subscription is disabled or does not receive that event's type.")
@blp.arguments(ReplayBody)
@blp.response(202, Replayed)
@require_role("admin")
def replay(body: dict[str, Any], subscription_id: str) -> tuple[dict[str, Any], int]:
    caller, now = current(), utcnow()
    with transaction(get_runtime().sessions) as session:
        subscription = _load(session, subscription_id)
        if not subscription.enabled:
            raise ApiError(409, "subscription_disabled", "enable the subscription first (PATCH enabled: true)",
                           [{"path": "$.enabled", "message": subscription.disabled_reason or "disabled"}])
        if "event_id" in body:
            event = session.get(DeliveryEvent, str(body["event_id"]))
            if event is None or event.tenant_id != caller.tenant_id:
                raise ApiError(404, "not_found", f"no event with id {body['event_id']!r}",
                               [{"path": "$.event_id", "message": f"no event {body['event_id']!r}"}])
            if not service.subscribes_to(subscription, event.type):  # a conflict with what it subscribes to
                raise ApiError(409, "not_subscribed", f"this subscription does not receive {event.type}",
                               [{"path": "$.event_id", "message": f"{event.type} is not in event_types"}])
            events = [event]
        else:  # UTC: SQLite keeps no offset, so a +02:00 time would compare two hours off
            events = service.events_since(session, caller.tenant_id, body["since"].astimezone(timezone.utc))
        ids = service.replay(session, subscription, events, now)
    return {"replayed": len(ids), "webhook_ids": ids,
            "truncated": "since" in body and len(events) >= service.REPLAY_LIMIT}, 202
