"""Outbox handlers "dispatch" (send a carrier job to the chosen carrier) and "carrier_cancel" (withdraw it).

Dispatch: accepted -> the delivery is dispatched with the carrier's reference. Rejected, no answer within the
carrier's acceptance timeout, or a request the carrier refuses (4xx) -> that carrier is excluded for this
delivery and the engine picks the next candidate; when nobody is left the delivery needs attention. Never
dropped. Transient failures (5xx, connection) are retried until the acceptance timeout has passed.
"""

from __future__ import annotations

import functools
import json
import logging
import threading
from collections import OrderedDict
from dataclasses import dataclass
from datetime import timedelta, timezone
from typing import Any

import requests
from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from hub.assignment.recording import assign_and_record
from hub.carriers.exchange import build_job, validate_job
from hub.db.engine import lone_reads, transaction
from hub.db.models import Delivery, Installation, Tenant, utcnow
from hub.db.models.fleet import Assignment, Carrier
from hub.errors import TransientError, classify_exception
from hub.ledger.deliveries import change_status
from hub.ledger.events import LOCKED_WITH, SYSTEM, append_event, hold_locked, locked_params
from hub.outbox.running import event_of, finish_with, payload_of
from hub.plugins.capabilities import require, supports
from hub.plugins.settings import load_settings
from hub.runtime import Runtime

log = logging.getLogger(__name__)


# The connectors this thread built, by installation and settings: building one validated its settings and opened a
# new HTTP session for every job, so each dispatch also paid a new connection to the carrier. Changed settings (an
# owner's edit, a rotated secret, another timeout) build a new one.
_built = threading.local()
CONNECTORS_KEPT = 16


def _connector(runtime: Runtime, installation: Installation, carrier: Carrier) -> object:
    spec = runtime.registry.get(installation.connector)
    raw = {**installation.settings, **installation.state.get("settings", {})}
    key = (installation.id, id(spec), carrier.acceptance_timeout_s, json.dumps(raw, sort_keys=True, default=str))
    kept: OrderedDict[tuple[str, int, int, str], object] = _built.__dict__.setdefault("kept", OrderedDict())
    if key in kept:
        kept.move_to_end(key)
        return kept[key]
    if "acceptance_timeout_s" in spec.settings_schema().fields:  # the carrier row's timeout wins
        raw["acceptance_timeout_s"] = carrier.acceptance_timeout_s
    kept[key] = connector = spec.create(load_settings(spec, raw))
    if len(kept) > CONNECTORS_KEPT:
        kept.popitem(last=False)
    return connector


def _expired(assignment: Assignment, carrier: Carrier) -> bool:
    created = assignment.created_at if assignment.created_at.tzinfo else assignment.created_at.replace(tzinfo=timezone.utc)
    return utcnow() > created + timedelta(seconds=carrier.acceptance_timeout_s)


# The assignment with its delivery, carrier and the carrier's installation (each None when missing), in one statement:
# a dispatch reads all four, and four primary-key reads cost four round trips through the ORM. Built once.
_PROPOSAL = (select(Assignment, Delivery, Carrier, Installation).join(Delivery, Delivery.id == Assignment.delivery_id)
             .outerjoin(Carrier, Carrier.id == Assignment.carrier_id)
             .outerjoin(Installation, Installation.id == Carrier.installation_id)
             .where(Assignment.id == bindparam("assignment_id")))


# The assignment and its delivery, both rows locked until the transaction ends (the answer is recorded once, and
# the delivery's chain head needs no query), with what the events written next ask for. Built once.
_LOCKED_PROPOSAL = (select(Assignment, Delivery, *LOCKED_WITH).join(Delivery, Delivery.id == Assignment.delivery_id)
                    .join(Tenant, Tenant.id == Delivery.tenant_id).where(Assignment.id == bindparam("assignment_id"))
                    .with_for_update(of=[Assignment, Delivery]).execution_options(populate_existing=True))


@dataclass(frozen=True)
class Answer:
    state: str  # accepted, rejected, timed_out or manual
    reason: str = ""
    reference: str | None = None


def dispatch_to_carrier(runtime: Runtime, item_id: int) -> None:
    assignment_id = payload_of(runtime, item_id).get("assignment_id")
    with lone_reads(runtime.sessions) as session:  # one read; the answer is recorded under lock (`_record`)
        found = session.execute(_PROPOSAL, {"assignment_id": assignment_id}).first() if assignment_id else None
        if found is None or found.Assignment.state != "proposed":
            return  # already answered, or superseded by a later decision
        assignment, delivery, carrier, installation = found[:4]
        job = build_job(delivery.document, assignment, runtime.config.public_url)
        connector = _connector(runtime, installation, carrier) if installation else None
    answer = _send(connector, job, assignment, carrier)
    # Recorded in the transaction that ends this row of work (hub/outbox/running.py `finish_with`)
    finish_with(runtime, item_id, functools.partial(_record, assignment_id=assignment.id, answer=answer,
                                                    carrier_name=carrier.name if carrier else ""))


def _send(connector: object | None, job: dict[str, Any], assignment: Assignment, carrier: Carrier | None) -> Answer:
    """The carrier's answer to the job; raises TransientError (tried again) while the carrier is unreachable and
    its acceptance timeout has not passed."""
    if connector is None or carrier is None or not supports(connector, "dispatch_job"):
        return Answer("manual", reason="no carrier connector installed: hand the job over by hand")
    problems = validate_job(job)
    if problems:  # our own data does not fit the contract: an operator must look, the carrier never sees it
        return Answer("rejected", reason="the job does not fit carrier_job.v1: "
                      + "; ".join(f"{p.path}: {p.message}" for p in problems[:5]))
    try:
        result = require(connector, "dispatch_job").dispatch(job)
    except requests.Timeout:
        return Answer("timed_out", reason=f"no answer within {carrier.acceptance_timeout_s} s")
    except Exception as exc:
        kind = classify_exception(exc)
        if kind == "transient" and not _expired(assignment, carrier):
            raise TransientError(f"carrier {carrier.name} unreachable: {exc}") from exc
        return Answer("timed_out" if kind == "transient" else "rejected", reason=f"{type(exc).__name__}: {exc}"[:500])
    if result.accepted:
        return Answer("accepted", reference=result.external_ref)
    return Answer("rejected", reason=result.reason or "rejected without a reason")


def _record(session: Session, *, assignment_id: str, answer: Answer, carrier_name: str) -> None:
    found = session.execute(_LOCKED_PROPOSAL, {"assignment_id": assignment_id, **locked_params()}).first()
    if found is None or found.Assignment.state != "proposed":
        return  # a concurrent run or an operator got there first
    assignment, delivery = found.Assignment, hold_locked(session, found)
    state, reason, reference = answer.state, answer.reason, answer.reference
    actor = {"kind": "carrier", "id": assignment.carrier_id}
    data: dict[str, Any] = {"assignment_id": assignment.id, "carrier_id": assignment.carrier_id,
                            "job_id": assignment.job_id}
    assignment.state, assignment.external_ref = state, reference
    if state == "accepted":
        change_status(session, delivery, "dispatched", actor=actor, reason=f"accepted by {carrier_name}")
        append_event(session, delivery, "delivery.dispatched", {**data, "reference": reference}, actor=actor)
        return
    if state == "manual":
        append_event(session, delivery, "delivery.dispatch_manual", {**data, "reason": reason})
        return
    assignment.reason = reason
    append_event(session, delivery, "delivery.carrier_rejected", {**data, "outcome": state, "reason": reason},
                 actor=actor if state == "rejected" else SYSTEM)
    assign_and_record(session, delivery, utcnow(), actor=SYSTEM, trigger=f"carrier_{state}",
                      trigger_id=f"carrier_{state}:{assignment.id}")


def cancel_at_carrier(runtime: Runtime, item_id: int) -> None:
    """Tell a carrier that a job it accepted is off: the delivery was cancelled, or an operator moved it.
    Payload {"assignment_id"} (re-assignment), or an event row (a delivery.status_changed to cancelled)."""
    payload = payload_of(runtime, item_id)
    with transaction(runtime.sessions) as session:
        if "assignment_id" in payload:
            assignment = session.get(Assignment, payload["assignment_id"])
            reason = "the delivery was given to someone else"
        else:
            event = event_of(session, item_id)
            if event is None or event.type != "delivery.status_changed" or event.data.get("status") != "cancelled":
                return
            assignment = session.execute(select(Assignment).where(
                Assignment.delivery_id == event.delivery_id, Assignment.state == "accepted")).scalars().first()
            reason = event.data.get("reason") or "the delivery was cancelled"
        if assignment is None or not assignment.external_ref or assignment.state not in ("accepted", "superseded"):
            return
        carrier = session.get(Carrier, assignment.carrier_id)
        installation = session.get(Installation, carrier.installation_id) if carrier and carrier.installation_id else None
        if installation is None:
            return
        connector = _connector(runtime, installation, carrier)
        reference, assignment_id = assignment.external_ref, assignment.id
    if not supports(connector, "cancel_job"):
        return
    require(connector, "cancel_job").cancel(reference, reason)
    with transaction(runtime.sessions) as session:
        assignment = session.get(Assignment, assignment_id)
        assignment.state = "cancelled"
        append_event(session, session.get(Delivery, assignment.delivery_id), "delivery.carrier_cancelled",
                     {"assignment_id": assignment_id, "carrier_id": assignment.carrier_id, "reference": reference,
                      "reason": reason})
