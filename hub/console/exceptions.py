"""The exceptions queue: what needs a person now, and the actions that resolve it.

An item is open from the moment it was raised until the delivery moves on (a failed attempt rescheduled, a
needs_attention delivery assigned) or an operator marks it resolved. Every action is an event on the
delivery with the operator as its actor, written by the hub's own functions, as the API writes them:
reschedule and return (hub.tracking.recovery.apply_recovery), reassign (the same, or
hub.assignment.recording.assign_and_record before a first attempt), a note of contacting the customer, and
a resolution with its reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from sqlalchemy import func, select
from sqlalchemy.orm import Session, load_only

from hub.accounts.users import operator_actor
from hub.assignment.recording import OPERATOR_ASSIGNABLE, REFUSED_STATES, assign_and_record
from hub.canonical.statuses import InvalidTransition
from hub.console.blueprint import blp
from hub.console.session import operator, require, same_tenant
from hub.db.engine import transaction
from hub.db.models import Delivery, DeliveryEvent, utcnow
from hub.db.models.fleet import Assignment
from hub.ledger.events import append_event
from hub.runtime import get_runtime
from hub.tracking.recovery import RecoveryError, apply_recovery, load_policy

# The queue looks this far back: an exception older than a week that nobody resolved belongs in a report,
# not in today's work list.
WINDOW = timedelta(days=7)
NOTE_EVENT = "delivery.operator_note"  # internal events: kept on the delivery's chain, not sent to subscribers
RESOLVED_EVENT = "delivery.exception_resolved"
CLOSERS = (RESOLVED_EVENT, "delivery.recovery")
EPOCH = datetime.min.replace(tzinfo=timezone.utc)
FINISHED = frozenset({"delivered", "returned", "cancelled"})
# Raised after the goods were handed over, so a finished delivery keeps them open until someone resolves them.
AFTER_DELIVERY = frozenset({"address_mismatch", "pod_incomplete"})
STATUS_ITEMS = {"failed_attempt": ("failed_attempt", "the delivery attempt failed", "warning"),
                "needs_attention": ("needs_attention", "the hub could not go on with it on its own", "error")}
KINDS = ("late_risk", "failed_attempt", "address_mismatch", "pod_incomplete", "needs_attention", "carrier_refused",
         "route_deviation")
SEVERITY_ORDER = {"error": 0, "warning": 1, "info": 2}
# What an item shows of its delivery (and its actions need): the documents stay in the database.
LISTED = (Delivery.id, Delivery.tenant_id, Delivery.external_id, Delivery.status, Delivery.updated_at)
# Items listed on one page, most severe and oldest first: a queue longer than this is worked from the top (or by kind).
SHOWN = 200


class ActionRefused(Exception):
    """An action the delivery's state does not allow; the message says why."""


@dataclass
class Item:
    delivery: Delivery
    kind: str
    cause: str
    severity: str
    at: datetime


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def open_items(db: Session, tenant_id: str, now: datetime | None = None, *,
               delivery_id: str | None = None) -> list[Item]:
    """The open items of the tenant (or of one of its deliveries), most severe and oldest first; one per delivery
    and kind (the newest)."""
    since = (now or utcnow()) - WINDOW
    one = (lambda column: (column == delivery_id,)) if delivery_id else (lambda column: ())
    # Only the few events that raise or close items: a week of status changes is most of a busy tenant's ledger.
    events = db.execute(select(DeliveryEvent.delivery_id, DeliveryEvent.type, DeliveryEvent.data,  # rows, not objects
                               DeliveryEvent.recorded_at).where(
        DeliveryEvent.tenant_id == tenant_id, DeliveryEvent.recorded_at >= since,
        DeliveryEvent.type.in_(("delivery.exception", *CLOSERS)), *one(DeliveryEvent.delivery_id))
        .order_by(DeliveryEvent.delivery_id, DeliveryEvent.sequence)).all()
    refused = db.execute(select(Assignment).where(
        Assignment.tenant_id == tenant_id, Assignment.state.in_(REFUSED_STATES), Assignment.updated_at >= since,
        *one(Assignment.delivery_id))).scalars().all()
    stuck = (Delivery.tenant_id == tenant_id, Delivery.status.in_(tuple(STATUS_ITEMS)), Delivery.updated_at >= since,
             *one(Delivery.id))
    waiting = db.execute(select(Delivery).options(load_only(*LISTED)).where(*stuck)).scalars().all()
    deliveries = {d.id: d for d in waiting}
    missing = sorted(({e.delivery_id for e in events} | {a.delivery_id for a in refused}) - set(deliveries))
    for chunk in _chunks(missing):
        deliveries.update({d.id: d for d in db.execute(
            select(Delivery).options(load_only(*LISTED)).where(Delivery.id.in_(chunk))).scalars()})
    closed_at: dict[str, datetime] = {}  # an operator's resolution or a recovery closes what came before it
    for event in events:
        if event.type in CLOSERS:
            closed_at[event.delivery_id] = _aware(event.recorded_at)
    # A new assignment answers a carrier's refusal; a waiting delivery's item dates from its last status change.
    assigned_at = _newest(db, "delivery.assigned", {a.delivery_id for a in refused}, since)
    status_since = {delivery_id: _aware(moment) for delivery_id, moment in db.execute(
        select(DeliveryEvent.delivery_id, func.max(DeliveryEvent.recorded_at))
        .join(Delivery, Delivery.id == DeliveryEvent.delivery_id)
        .where(*stuck, DeliveryEvent.type == "delivery.status_changed", DeliveryEvent.recorded_at >= since)
        .group_by(DeliveryEvent.delivery_id))}
    found: dict[tuple[str, str], Item] = {}

    def offer(item: Item) -> None:
        key = (item.delivery.id, item.kind)
        if item.at > closed_at.get(item.delivery.id, EPOCH) and (key not in found or found[key].at < item.at):
            found[key] = item

    for event in events:
        delivery = deliveries.get(event.delivery_id)
        if event.type != "delivery.exception" or delivery is None:
            continue
        data = event.data or {}
        code = str(data.get("code") or "exception")
        if code == "pod_pending" or (delivery.status in FINISHED and code not in AFTER_DELIVERY) \
                or (code in STATUS_ITEMS and delivery.status != code):  # the delivery moved on since
            continue
        offer(Item(delivery, code, str(data.get("message") or code), str(data.get("severity") or "warning"),
                   _aware(event.recorded_at)))
    for row in refused:
        delivery = deliveries.get(row.delivery_id)
        if delivery is None or delivery.status in FINISHED or assigned_at.get(row.delivery_id, EPOCH) > _aware(row.updated_at):
            continue
        what = "refused" if row.state == "rejected" else "did not answer"
        offer(Item(delivery, "carrier_refused", f"carrier {row.carrier_id} {what} the offer"
                   f"{': ' + row.reason if row.reason else ''}", "warning", _aware(row.updated_at)))
    for delivery in waiting:
        kind, cause, severity = STATUS_ITEMS[delivery.status]
        if (delivery.id, kind) not in found:  # the detector's own record says more, when there is one
            offer(Item(delivery, kind, cause, severity, status_since.get(delivery.id) or _aware(delivery.updated_at)))
    return sorted(found.values(), key=lambda i: (SEVERITY_ORDER.get(i.severity, 3), i.at))


def _chunks(ids: list[str], size: int = 500) -> list[list[str]]:
    """IN lists that stay well under every database's parameter limit."""
    return [ids[start:start + size] for start in range(0, len(ids), size)]


def _newest(db: Session, event_type: str, delivery_ids: set[str], since: datetime) -> dict[str, datetime]:
    """When each of these deliveries last had an event of this type inside the window."""
    out: dict[str, datetime] = {}
    for chunk in _chunks(sorted(delivery_ids)):
        for delivery_id, moment in db.execute(
                select(DeliveryEvent.delivery_id, func.max(DeliveryEvent.recorded_at))
                .where(DeliveryEvent.delivery_id.in_(chunk), DeliveryEvent.type == event_type,
                       DeliveryEvent.recorded_at >= since).group_by(DeliveryEvent.delivery_id)):
            out[delivery_id] = _aware(moment)
    return out


@blp.context_processor
def _actions_context() -> dict[str, Any]:
    """What the action buttons need to know: from which statuses a delivery can be re-assigned."""
    return {"reassignable": OPERATOR_ASSIGNABLE | {"failed_attempt"}}


@blp.route("/exceptions")
@require("see")
def exceptions() -> str:
    kind = request.args.get("kind", "")
    with get_runtime().sessions() as db:
        items = open_items(db, operator().tenant_id)
        counts = {k: sum(1 for i in items if i.kind == k) for k in sorted({i.kind for i in items} | set(KINDS))}
        shown = [i for i in items if not kind or i.kind == kind]
        return render_template("console/exceptions.html", items=shown[:SHOWN], matched=len(shown), counts=counts,
                               kind=kind, total=len(items))


def _back() -> Any:
    target = request.form.get("back", "")
    return redirect(target if target.startswith("/console/") else url_for("console.exceptions"))


@blp.route("/deliveries/<delivery_id>/actions/<action>", methods=["POST"])
@require("act")
def act(delivery_id: str, action: str) -> Any:
    if action not in ACTIONS:
        abort(404)
    user = operator()
    actor = operator_actor(user)
    note = (request.form.get("note") or "").strip()[:2000]
    try:
        with transaction(get_runtime().sessions) as db:  # a refused action writes nothing
            delivery = same_tenant(db.get(Delivery, delivery_id))
            message = ACTIONS[action](db, delivery, actor, note)
    except (RecoveryError, InvalidTransition, ActionRefused) as exc:
        flash(str(getattr(exc, "message", exc)), "error")
        return _back()
    flash(message, "ok")
    return _back()


def _recover(action: str) -> Any:
    def run(db: Session, delivery: Delivery, actor: dict[str, Any], note: str) -> str:
        if delivery.status != "failed_attempt":
            raise ActionRefused(f"{action} follows a failed attempt; this delivery is {delivery.status}")
        event = apply_recovery(db, delivery, action, decided_by={"kind": "operator", "id": actor["id"]},
                               actor=actor, policy=load_policy(db, delivery.tenant_id), note=note)
        window = (event.data or {}).get("window") or {}
        return f"{delivery.external_id}: {action} done" + (f", new window from {window.get('start')}" if window else "")
    return run


def _reassign(db: Session, delivery: Delivery, actor: dict[str, Any], note: str) -> str:
    if delivery.status == "failed_attempt":
        return _recover("reassign")(db, delivery, actor, note)
    if delivery.status not in OPERATOR_ASSIGNABLE:
        raise ActionRefused(f"a delivery that is {delivery.status} cannot be re-assigned")
    now = utcnow()
    row = assign_and_record(db, delivery, now, actor=actor, trigger="operator", trigger_id=f"operator:{now.isoformat()}",
                            operator=True)
    if row is None:
        raise ActionRefused("no depot or carrier is set up for this tenant")
    return f"{delivery.external_id}: re-assigned ({row.reason or row.state})"


def _contact(db: Session, delivery: Delivery, actor: dict[str, Any], note: str) -> str:
    if not note:
        raise ActionRefused("write what was said to the customer")
    append_event(db, delivery, NOTE_EVENT, {"kind": "customer_contacted", "note": note}, actor=actor)
    return f"{delivery.external_id}: note recorded"


def _resolve(db: Session, delivery: Delivery, actor: dict[str, Any], note: str) -> str:
    if not note:
        raise ActionRefused("give the reason it is resolved")
    open_kinds = sorted({i.kind for i in open_items(db, delivery.tenant_id, delivery_id=delivery.id)})
    append_event(db, delivery, RESOLVED_EVENT, {"reason": note, "kinds": open_kinds}, actor=actor)
    return f"{delivery.external_id}: marked resolved"


ACTIONS = {"reschedule": _recover("reschedule"), "return": _recover("return"), "reassign": _reassign,
           "contact": _contact, "resolve": _resolve}
