"""Carrier jobs out (schemas/carrier_job.v1.json) and carrier reports in (status and proof of delivery in the
canonical event format). A carrier only ever sees and reports on its own jobs."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Mapping

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.canonical.encoding import drop_none
from hub.canonical.fields import parse_timestamp
from hub.canonical.validation import FieldError, validate_document
from hub.capacity.models import Assignment, Carrier
from hub.db.models import Delivery
from hub.deliveries import change_status
from hub.events import append_event
from hub.status import InvalidTransition

REPORT_TYPES = {"delivery.status_changed": "events/status_changed.v1", "delivery.pod_captured": "events/pod_captured.v1"}
# Statuses a carrier may report; assignment-side statuses (assigned, planned, ...) belong to the hub.
CARRIER_STATUSES = frozenset({"picked_up", "in_transit", "arriving", "delivered", "failed_attempt", "returned",
                              "rescheduled"})
# An assignment's carrier may report once it accepted the job, and no longer after it was re-assigned.
REPORTABLE = ("accepted",)


def status_url(public_url: str, job_id: str) -> str:
    return f"{public_url}/api/v1/carrier/jobs/{job_id}/status"


def build_job(delivery: dict[str, Any], assignment: Assignment, public_url: str) -> dict[str, Any]:
    """The carrier job for this delivery: only what a carrier needs, nothing of the store's own data."""
    source = delivery.get("source", {})
    dropoff = delivery.get("dropoff", {})
    notes = [dropoff.get("access", {}).get("instructions"), delivery.get("notes")]
    job = {
        "job_id": assignment.job_id,
        "delivery_id": delivery["id"],
        "tracking_reference": str(source.get("external_order_number") or source.get("external_id") or "") or None,
        "pickup": delivery.get("pickup"),
        "dropoff": dropoff,
        "window": delivery.get("promised_window"),
        "parcels": delivery.get("parcels"),
        "requirements": delivery.get("requirements"),
        "declared_value": delivery.get("declared_value"),
        "instructions": " ".join(n for n in notes if n) or None,
        "service_level": delivery.get("service_level"),
        "callback": {"status_url": status_url(public_url, assignment.job_id or "")},
    }
    return drop_none(job)


def validate_job(job: dict[str, Any]) -> list[FieldError]:
    return validate_document("carrier_job.v1", job)


def validate_report(body: Any) -> list[FieldError]:
    """A report is {"type", "occurred_at", "data"} with data per the type's canonical event schema."""
    if not isinstance(body, dict):
        return [FieldError("$", "the report must be a JSON object")]
    kind = body.get("type")
    if kind not in REPORT_TYPES:
        return [FieldError("$.type", f"must be one of {', '.join(sorted(REPORT_TYPES))}")]
    errors = [FieldError("$.data" + e.path[1:], e.message) for e in validate_document(REPORT_TYPES[kind], body.get("data"))]
    if kind == "delivery.status_changed" and not errors and body["data"]["status"] not in CARRIER_STATUSES:
        errors.append(FieldError("$.data.status", f"a carrier reports one of {', '.join(sorted(CARRIER_STATUSES))}"))
    occurred = body.get("occurred_at")
    if occurred is not None and validate_document("events/pod_captured.v1", {"captured_at": occurred}):
        errors.append(FieldError("$.occurred_at", "must be an RFC 3339 date-time with a timezone"))
    return errors


def find_job(session: Session, job_id: str) -> Assignment | None:
    return session.execute(select(Assignment).where(Assignment.job_id == job_id)).scalar_one_or_none()


def _when(body: dict[str, Any]) -> datetime | None:
    """When the report happened; validate_report has already checked both times are RFC 3339 with an offset."""
    value = body.get("occurred_at") or body.get("data", {}).get("captured_at")
    return parse_timestamp(value) if value else None


def apply_report(session: Session, assignment: Assignment, body: dict[str, Any], *, carrier_id: str) -> dict[str, Any]:
    """Apply one validated report to the delivery. Returns what happened (for the outbox row / inbox outcome)."""
    delivery = session.get(Delivery, assignment.delivery_id)
    actor = {"kind": "carrier", "id": carrier_id}
    if delivery is None or assignment.carrier_id != carrier_id:
        return {"state": "skipped", "reason": "not this carrier's job"}
    if assignment.state not in REPORTABLE:
        append_event(session, delivery, "delivery.carrier_report_ignored",
                     {"job_id": assignment.job_id, "type": body["type"],
                      "reason": f"the job is {assignment.state}, not this carrier's any more"}, actor=actor)
        return {"state": "skipped", "reason": f"assignment is {assignment.state}"}
    occurred_at = _when(body)
    data = body["data"]
    if body["type"] == "delivery.pod_captured":
        event = append_event(session, delivery, "delivery.pod_captured", data, actor=actor, occurred_at=occurred_at)
        return {"state": "processed", "event_id": event.id}
    try:
        event = change_status(session, delivery, data["status"], actor=actor, reason=data.get("reason", ""),
                              reason_code=data.get("reason_code"), occurred_at=occurred_at)
    except InvalidTransition as exc:
        append_event(session, delivery, "delivery.carrier_report_ignored",
                     {"job_id": assignment.job_id, "type": body["type"], "status": data["status"], "reason": str(exc)},
                     actor=actor)
        return {"state": "skipped", "reason": str(exc)}
    return {"state": "processed", "event_id": event.id if event else None}


def apply_inbound_report(session: Session, installation_id: str, job_id: str | None,
                         payload: Mapping[str, Any]) -> dict[str, Any]:
    """A report that came through POST /hooks/<installation id> (kind status or pod, external_id = job id):
    the same as the carrier API, for the carrier whose installation it is. For hub/ingest_handlers.py."""
    assignment = find_job(session, job_id) if job_id else None
    carrier = session.get(Carrier, assignment.carrier_id) if assignment and assignment.carrier_id else None
    if assignment is None or carrier is None or carrier.installation_id != installation_id:
        return {"state": "skipped", "reason": f"no job {job_id!r} for this carrier"}
    body = dict(payload)
    errors = validate_report(body)
    if errors:
        return {"state": "skipped", "reason": "; ".join(f"{e.path}: {e.message}" for e in errors[:5])}
    return apply_report(session, assignment, body, carrier_id=carrier.id)
