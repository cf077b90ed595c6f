"""Service recovery after a failed attempt, per the tenant's policy (tenants.settings["recovery"], validated
against schemas/recovery_policy.v1.json): reschedule to the next window, re-assign, or return to the depot.

Every decision is recorded as a `delivery.recovery` event naming who decided: the policy and its rule
(`decided_by: {"kind": "policy", "rule": ...}`) or an operator (`{"kind": "operator", "id": <key id>}`).
`decide` and `next_window` are pure; the rest writes in the caller's transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.assignment.recording import assign_and_record
from hub.canonical.fields import parse_timestamp
from hub.canonical.validation import FieldError, validate_document
from hub.db.models import Delivery, DeliveryEvent, Tenant, utcnow
from hub.ledger.deliveries import change_status
from hub.ledger.events import append_event, iso

POLICY_SCHEMA = "recovery_policy.v1"
SETTINGS_KEY = "recovery"
# Carriers (DHL, UPS, La Poste) make up to three attempts before sending goods back: recipients expect it.
DEFAULT_MAX_ATTEMPTS = 3
DEFAULT_ACTION = "reschedule"  # most failures are "nobody home": another day usually works
# Office hours: when most recipients of a home or business delivery can be reached.
DEFAULT_FALLBACK_WINDOW = {"start": "09:00", "end": "18:00"}
DEFAULT_POLICY: dict[str, Any] = {"default_action": DEFAULT_ACTION, "max_attempts": DEFAULT_MAX_ATTEMPTS}
TARGET_STATUS = {"reschedule": "rescheduled", "reassign": "assigned", "return": "returned"}
SYSTEM_ACTOR = {"kind": "system", "id": "recovery_policy"}


class RecoveryError(Exception):
    """A recovery that cannot be done (answered 409 / 422 by the API)."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


@dataclass(frozen=True)
class Decision:
    action: str  # reschedule | reassign | return
    rule: str  # the policy rule that decided, or "default_action" / "max_attempts"


# ---- pure -----------------------------------------------------------------------------------------------

def decide(policy: dict[str, Any], *, reason_code: str | None, service_level: str | None, attempts: int) -> Decision:
    """What the policy does with the `attempts`-th failed attempt (max_attempts first, then the rules in order)."""
    if attempts >= int(policy.get("max_attempts", DEFAULT_MAX_ATTEMPTS)):
        return Decision("return", "max_attempts")
    for rule in policy.get("rules", []):
        match = rule["match"]
        if "reason_codes" in match and reason_code not in match["reason_codes"]:
            continue
        if "service_levels" in match and service_level not in match["service_levels"]:
            continue
        if attempts < match.get("min_attempts", 0):
            continue
        return Decision(rule["action"], rule["name"])
    return Decision(policy.get("default_action", DEFAULT_ACTION), "default_action")


def _offset(text: str) -> timezone:
    sign = -1 if text.startswith("-") else 1
    hours, minutes = text[1:].split(":")
    return timezone(sign * timedelta(hours=int(hours), minutes=int(minutes)))


def next_window(policy: dict[str, Any], promised: dict[str, str] | None, failed_at: datetime) -> dict[str, str]:
    """The promised window moved `days_ahead` days on (further while it would start before `failed_at`, and past
    weekends when asked); without a promised window, the fallback local window `days_ahead` days on."""
    spec = policy.get("reschedule", {})
    days, skip_weekends = int(spec.get("days_ahead", 1)), bool(spec.get("skip_weekends", False))
    # In the window's own offset (RFC 3339, validated): the moved window keeps it, and weekends are local.
    start, end = (parse_timestamp(promised[k]) if promised and promised.get(k) else None for k in ("start", "end"))
    if start is None and end is None:
        tz = _offset(spec.get("utc_offset", "+00:00"))
        fallback = spec.get("fallback_window", DEFAULT_FALLBACK_WINDOW)
        day = failed_at.astimezone(tz).date()
        start = datetime.combine(day, datetime.strptime(fallback["start"], "%H:%M").time(), tz)
        end = datetime.combine(day, datetime.strptime(fallback["end"], "%H:%M").time(), tz)
    shift = timedelta(days=days)
    anchor = start or end
    assert anchor is not None
    while anchor + shift <= failed_at or (skip_weekends and (anchor + shift).weekday() >= 5):
        shift += timedelta(days=1)
    out = {}
    if start is not None:
        out["start"] = (start + shift).isoformat()
    if end is not None:
        out["end"] = (end + shift).isoformat()
    return out


# ---- the tenant's policy --------------------------------------------------------------------------------

def load_policy(session: Session, tenant_id: str) -> dict[str, Any]:
    tenant = session.get(Tenant, tenant_id)
    stored = (tenant.settings or {}).get(SETTINGS_KEY) if tenant else None
    return stored if isinstance(stored, dict) else dict(DEFAULT_POLICY)


def save_policy(session: Session, tenant_id: str, policy: Any) -> list[FieldError]:
    """Validate and store; returns the errors instead (nothing stored) when the document does not fit."""
    errors = validate_document(POLICY_SCHEMA, policy)
    if errors:
        return errors
    tenant = session.get(Tenant, tenant_id)
    tenant.settings = {**(tenant.settings or {}), SETTINGS_KEY: policy}  # a new dict: JSON columns track assignment
    return []


# ---- acting on a delivery -------------------------------------------------------------------------------

def failed_attempts(session: Session, delivery_id: str) -> int:
    rows = session.execute(select(DeliveryEvent.data).where(
        DeliveryEvent.delivery_id == delivery_id, DeliveryEvent.type == "delivery.status_changed")).scalars()
    return sum(1 for data in rows if (data or {}).get("status") == "failed_attempt")


def set_window(session: Session, delivery: Delivery, window: dict[str, str], actor: dict[str, Any],
               dropoff: dict[str, Any] | None = None) -> None:
    """The new promised window (and drop-off, when the next attempt goes elsewhere: a pickup point) on the
    document, with one delivery.updated event (subscribers, re-assignment, re-planning)."""
    changed = ["promised_window"] if dropoff is None else ["dropoff", "promised_window"]
    doc = {**delivery.document, "promised_window": window, "updated_at": iso(utcnow()),
           "version": (delivery.version or 0) + 1, "status": delivery.status}
    if dropoff is not None:
        doc["dropoff"] = dropoff
    delivery.document = doc
    delivery.updated_at = utcnow()
    append_event(session, delivery, "delivery.updated", {"changed": changed, "delivery": doc}, actor=actor)


def _reassign(session: Session, delivery: Delivery, actor: dict[str, Any], trigger: str) -> None:
    change_status(session, delivery, "assigned", actor=actor, reason="re-assignment after a failed attempt",
                  reason_code="recovery")
    row = assign_and_record(session, delivery, utcnow(), actor=actor, trigger="recovery", trigger_id=trigger)
    if row is None and delivery.status == "assigned":  # nobody to assign it to: back in the queue
        change_status(session, delivery, "received", actor=actor, reason="waiting for assignment",
                      reason_code="recovery")


def apply_recovery(session: Session, delivery: Delivery, action: str, *, decided_by: dict[str, Any],
                   actor: dict[str, Any], window: dict[str, str] | None = None,
                   trigger_event_id: str | None = None, policy: dict[str, Any] | None = None,
                   note: str = "", choice: dict[str, Any] | None = None,
                   dropoff: dict[str, Any] | None = None, destination: dict[str, Any] | None = None) -> DeliveryEvent:
    """Carry out `action` and record the `delivery.recovery` event. InvalidTransition when the status forbids it.
    A reschedule may send the next attempt to another drop-off (a pickup point: hub/tracking/pickup.py), with
    `destination` (the point, the recipient's own address) recorded on the event."""
    if action not in TARGET_STATUS:
        raise RecoveryError(422, "validation_failed", f"unknown recovery action {action!r}")
    previous = delivery.status
    label = decided_by.get("rule") or decided_by.get("kind", "")
    reason = f"service recovery: {action} ({label})"
    data: dict[str, Any] = {"action": action, "previous_status": previous, "decided_by": decided_by}
    if action == "reschedule":
        if window is None:
            window = next_window(policy or DEFAULT_POLICY, delivery.document.get("promised_window"), utcnow())
        change_status(session, delivery, "rescheduled", actor=actor, reason=reason, reason_code="recovery")
        data["previous_window"] = delivery.document.get("promised_window")
        set_window(session, delivery, window, actor, dropoff)
        data["window"] = window
        data.update(destination or {})
    elif action == "reassign":
        _reassign(session, delivery, actor, trigger_event_id or f"recovery:{iso(utcnow())}")
    else:
        change_status(session, delivery, "returned", actor=actor, reason=reason, reason_code="recovery")
    data["status"] = delivery.status
    if trigger_event_id:
        data["trigger_event_id"] = trigger_event_id
    if note:
        data["note"] = note
    if choice:
        data["choice"] = choice  # the recipient's, when they decided (hub/customer/choices.py)
    return append_event(session, delivery, "delivery.recovery", {k: v for k, v in data.items() if v is not None},
                        actor=actor)


def recovered_for(session: Session, delivery_id: str, trigger_event_id: str) -> bool:
    rows = session.execute(select(DeliveryEvent.data).where(
        DeliveryEvent.delivery_id == delivery_id, DeliveryEvent.type == "delivery.recovery")).scalars()
    return any((data or {}).get("trigger_event_id") == trigger_event_id for data in rows)


def recover_after_failure(session: Session, delivery: Delivery, failed_event: DeliveryEvent) -> DeliveryEvent | None:
    """Apply the tenant's policy to a failed attempt, once per failed-attempt event; None when the delivery has
    moved on since (an operator acted first) or this event was handled before."""
    if delivery.status != "failed_attempt" or recovered_for(session, delivery.id, failed_event.id):
        return None
    policy = load_policy(session, delivery.tenant_id)
    attempts = failed_attempts(session, delivery.id)
    decision = decide(policy, reason_code=(failed_event.data or {}).get("reason_code"),
                      service_level=delivery.document.get("service_level"), attempts=attempts)
    window = None
    if decision.action == "reschedule":
        window = next_window(policy, delivery.document.get("promised_window"), failed_event.occurred_at
                             if failed_event.occurred_at.tzinfo else failed_event.occurred_at.replace(tzinfo=timezone.utc))
    decided_by = {"kind": "policy", "rule": decision.rule, "attempts": attempts}
    return apply_recovery(session, delivery, decision.action, decided_by=decided_by, actor=SYSTEM_ACTOR,
                          window=window, trigger_event_id=failed_event.id, policy=policy)
