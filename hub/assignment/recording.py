"""Run the engine for one delivery and record the outcome: the assignment row (decision + explanation), the
status change, the delivery.assigned event, and for carriers the dispatch outbox row. All in the caller's
transaction, so the decision, its events and the work it causes commit together or not at all."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from hub.assignment import assign, facts_of
from hub.assignment.candidates import HOLDING, candidates_for, current_policy, has_capacity, service_day
from hub.assignment.model import Decision
from hub.assignment.quotes import with_live_quotes
from hub.canonical.ids import new_job_id, sortable_id
from hub.db.models import Delivery
from hub.db.models.fleet import Assignment
from hub.ledger.deliveries import change_status
from hub.ledger.events import append_event
from hub.outbox.rows import add_outbox_rows, work_row

# Fields of a delivery the decision depends on: an update to any other field keeps the assignment.
RELEVANT_FIELDS = frozenset({"dropoff", "parcels", "promised_window", "requirements", "service_level",
                             "declared_value", "pickup"})
# Statuses from which the hub may (re-)assign on its own; an operator may also pull back a dispatched one.
AUTO_ASSIGNABLE = frozenset({"received", "needs_attention", "assigned", "planned", "rescheduled"})
OPERATOR_ASSIGNABLE = AUTO_ASSIGNABLE | {"dispatched"}
REFUSED_STATES = ("rejected", "timed_out")
NO_CAPACITY = ("no depot or carrier is set up for this tenant, so the hub cannot assign its deliveries: add a depot "
               "(POST /api/v1/depots) or a carrier (POST /api/v1/carriers), then POST /api/v1/deliveries/<id>/reassign")


_ATTEMPTS = select(Assignment).where(Assignment.delivery_id == bindparam("delivery_id"))  # built once


def earlier_attempts(session: Session, delivery_id: str) -> list[Assignment]:
    """Every assignment attempt of the delivery so far: the carriers that refused it, the next attempt's number
    and the attempts still holding capacity all come from this one read."""
    return list(session.execute(_ATTEMPTS, {"delivery_id": delivery_id}).scalars())


def refusals(attempts: list[Assignment]) -> dict[str, str]:
    return {row.carrier_id: f"{'rejected' if row.state == 'rejected' else 'did not answer'} this delivery before"
                            f"{': ' + row.reason if row.reason else ''}"
            for row in attempts if row.state in REFUSED_STATES and row.carrier_id}


def decide(session: Session, delivery: Delivery, now: datetime, *, exclude: dict[str, str] | None = None,
           attempts: list[Assignment] | None = None) -> tuple[Decision, dict[str, Any]]:
    """The engine's decision for this delivery now (nothing written)."""
    if attempts is None:
        attempts = earlier_attempts(session, delivery.id)
    refused = {**refusals(attempts), **(exclude or {})}
    day = service_day(delivery.document, now)
    candidates = with_live_quotes(session, delivery, candidates_for(session, delivery.tenant_id, now, refused, day))
    policy, policy_doc = current_policy(session, delivery.tenant_id)
    return assign(delivery.document, candidates, policy, now), policy_doc


def assign_and_record(
    session: Session, delivery: Delivery, now: datetime, *, actor: dict[str, Any], trigger: str,
    exclude: dict[str, str] | None = None, operator: bool = False, trigger_id: str | None = None,
    attempts: list[Assignment] | None = None,
) -> Assignment | None:
    """Decide and record. None when assignment does not apply: a status it must not touch, or a tenant with no
    depot or carrier set up (then the attempt is recorded with that reason, and the delivery waits as it is:
    `hub status` counts such deliveries for the operator)."""
    allowed = OPERATOR_ASSIGNABLE if operator else AUTO_ASSIGNABLE
    if delivery.status not in allowed:
        return None
    if attempts is None:  # the caller may have read them already, under the delivery's lock
        attempts = earlier_attempts(session, delivery.id)
    decision, _ = decide(session, delivery, now, exclude=exclude, attempts=attempts)
    next_attempt = max((a.attempt for a in attempts), default=0) + 1
    # A candidate was evaluated only if an active depot or a carrier exists: then there is no need to ask.
    if not decision.evaluations and not has_capacity(session, delivery.tenant_id):
        session.add(_attempt_row(delivery, now, dataclasses.replace(decision, reason=NO_CAPACITY),
                                 actor, trigger_id or trigger, next_attempt))
        session.flush()
        return None
    for previous in (a for a in attempts if a.state in HOLDING):
        if previous.state == "accepted":  # the carrier took it already: withdraw the job there
            add_outbox_rows(session, [work_row(tenant_id=delivery.tenant_id, kind="carrier_cancel",
                                               payload={"assignment_id": previous.id, "delivery_id": delivery.id})])
        previous.state = "superseded"  # its capacity is given back to the day
    chosen = decision.chosen_evaluation
    row = _attempt_row(delivery, now, decision, actor, trigger_id or trigger, next_attempt)
    if chosen is not None and row.capacity == "own_fleet":  # inserted as it ends, not inserted and then updated
        row.state, row.depot_id = "own_fleet", decision.chosen
    elif chosen is not None:
        row.state, row.carrier_id, row.job_id = "proposed", decision.chosen, new_job_id()
    session.add(row)
    summary = {"assignment_id": row.id, "attempt": row.attempt, "trigger": trigger, "reason": decision.reason,
               "strategy": decision.strategy, "policy_version": decision.policy_version}
    if chosen is None:
        change_status(session, delivery, "needs_attention", actor=actor, reason=decision.reason,
                      reason_code="no_capacity")
        append_event(session, delivery, "delivery.assignment_failed", {**summary, "capacity": "none"}, actor=actor)
        session.flush()
        return row
    change_status(session, delivery, "assigned", actor=actor, reason=decision.reason)
    if row.capacity == "own_fleet":
        append_event(session, delivery, "delivery.assigned",
                     {**summary, "capacity": "own_fleet", "depot_id": decision.chosen}, actor=actor)
    else:
        event = append_event(session, delivery, "delivery.assigned",
                             {**summary, "capacity": "carrier", "carrier_id": decision.chosen, "job_id": row.job_id},
                             actor=actor)
        add_outbox_rows(session, [work_row(tenant_id=delivery.tenant_id, kind="dispatch", event_id=event.id,
                                           payload={"assignment_id": row.id, "delivery_id": delivery.id})])
    session.flush()
    return row


def _attempt_row(delivery: Delivery, now: datetime, decision: Decision, actor: dict[str, Any], trigger: str,
                 attempt: int) -> Assignment:
    """The record of one assignment attempt: the decision with every candidate's evaluation, and the why."""
    facts = facts_of(delivery.document)
    chosen = decision.chosen_evaluation
    return Assignment(
        id=sortable_id("asg_"), tenant_id=delivery.tenant_id, delivery_id=delivery.id,
        attempt=attempt, day=service_day(delivery.document, now),
        candidate_id=decision.chosen,
        capacity="none" if chosen is None else ("own_fleet" if chosen.kind == "own_fleet" else "carrier"),
        state="none", parcels=facts.parcels, weight_g=facts.weight_g, volume_cm3=facts.volume_cm3,
        policy_version=decision.policy_version, decision=decision.as_dict(), reason=decision.reason,
        actor={**actor, "trigger": trigger},
    )
