"""Carrier jobs out (schemas/carrier_job.v1.json) and carrier reports in (status and proof of delivery in the
canonical event format). A carrier only ever sees and reports on its own jobs."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Mapping

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.canonical.encoding import drop_none
from hub.canonical.fields import parse_timestamp
from hub.canonical.statuses import InvalidTransition
from hub.canonical.validation import FieldError, validate_document
from hub.db.models import Delivery, DeliveryEvent, OutboxItem, utcnow
from hub.db.models.fleet import Assignment, Carrier
from hub.execution.custody import record_handoff
from hub.execution.pod import PodRefused, pod_on_record, require_pod_on_record
from hub.ledger.deliveries import change_status
from hub.ledger.events import append_event, iso
from hub.outbox.rows import add_outbox

# Outbox kind of hub/jobs/carrier_media.py: a proof whose images come as links, downloaded and then recorded.
MEDIA_KIND = "carrier_media"
# Recorded when a report cannot be applied (nobody is waiting for an answer); the carrier sees it in the history.
IGNORED = "delivery.carrier_report_ignored"
# A device clock a little ahead is normal; a report dated further ahead would make every later report look
# late (and so never applied), so it is refused.
MAX_CLOCK_AHEAD = timedelta(minutes=5)
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
    if "media_urls" in body:
        errors += _media_url_errors(kind, body["media_urls"])
    return errors


def _media_url_errors(kind: str, links: Any) -> list[FieldError]:
    """A proof may give its images as links instead of stored files: {"signature": url, "photos": [url, ...]}."""
    if kind != "delivery.pod_captured":
        return [FieldError("$.media_urls", "only a delivery.pod_captured report carries media_urls")]
    if not isinstance(links, dict) or set(links) - {"signature", "photos"}:
        return [FieldError("$.media_urls", 'must be {"signature": url, "photos": [url, ...]}')]
    urls = [("$.media_urls.signature", links["signature"])] if "signature" in links else []
    photos = links.get("photos", [])
    if not isinstance(photos, list):
        return [FieldError("$.media_urls.photos", "must be a list of URLs")]
    urls += [(f"$.media_urls.photos[{i}]", u) for i, u in enumerate(photos)]
    return [FieldError(path, "must be an http(s) URL") for path, u in urls
            if not isinstance(u, str) or not u.startswith(("https://", "http://"))]


def clock_errors(body: dict[str, Any], now: datetime) -> list[FieldError]:
    """A valid report dated more than MAX_CLOCK_AHEAD after `now` (the hub's clock) is refused."""
    when = _when(body)
    if when is None or when <= now + MAX_CLOCK_AHEAD:
        return []
    path = "$.occurred_at" if body.get("occurred_at") is not None else "$.data.captured_at"
    return [FieldError(path, "is more than 5 minutes ahead of the hub's clock; send the time it happened, "
                             "with its UTC offset")]


def find_job(session: Session, job_id: str) -> Assignment | None:
    return session.execute(select(Assignment).where(Assignment.job_id == job_id)).scalar_one_or_none()


def _when(body: dict[str, Any]) -> datetime | None:
    """When the report happened; validate_report has already checked both times are RFC 3339 with an offset."""
    value = body.get("occurred_at") or body.get("data", {}).get("captured_at")
    return parse_timestamp(value) if value else None


def apply_to_delivery(session: Session, delivery: Delivery, body: dict[str, Any],
                      actor: dict[str, Any]) -> DeliveryEvent | None:
    """How a validated report changes the delivery, whichever way it came (the carrier API, a job callback, a
    signed webhook): a proof of delivery by reference is recorded; a status must fit the status machine and,
    for delivered, the proof the delivery requires; picked_up and delivered are handoffs in the chain of
    custody. Raises InvalidTransition or PodRefused: the caller answers them or records them."""
    occurred_at = _when(body)
    data = body["data"]
    if body["type"] == "delivery.pod_captured":
        same = _recorded_pod(session, delivery.id, data, actor)
        if same is not None:  # a retry of a proof already on record (a timeout on the carrier's side)
            return same
        return append_event(session, delivery, "delivery.pod_captured", data, actor=actor, occurred_at=occurred_at)
    status = data["status"]
    if status == "delivered":
        require_pod_on_record(session, delivery)
    event = change_status(session, delivery, status, actor=actor, reason=data.get("reason", ""),
                          reason_code=data.get("reason_code"), occurred_at=occurred_at,
                          extra={k: data[k] for k in ("location", "note") if k in data})
    if event is not None and event.type == "delivery.status_changed" and status in ("picked_up", "delivered"):
        pickup = delivery.document.get("pickup", {}).get("location_id")
        giver, taker = ({"kind": "warehouse", **({"id": pickup} if pickup else {})}, actor) \
            if status == "picked_up" else (actor, {"kind": "recipient"})
        record_handoff(session, delivery, giver, taker, actor=actor, occurred_at=occurred_at)
    return event


def _recorded_pod(session: Session, delivery_id: str, data: dict[str, Any],
                  actor: dict[str, Any]) -> DeliveryEvent | None:
    """The same proof from the same carrier, if it is on record already."""
    rows = session.execute(select(DeliveryEvent).where(
        DeliveryEvent.delivery_id == delivery_id, DeliveryEvent.type == "delivery.pod_captured")).scalars()
    return next((e for e in rows if e.data == data and e.actor == actor), None)


def apply_report(session: Session, assignment: Assignment, body: dict[str, Any], *, carrier_id: str) -> dict[str, Any]:
    """A report that nobody waits for (a signed webhook through /hooks): applied, or recorded as ignored with the
    reason. A `delivered` that came before its proof is applied once the proof arrives."""
    delivery = session.get(Delivery, assignment.delivery_id)
    actor = {"kind": "carrier", "id": carrier_id}
    if delivery is None or assignment.carrier_id != carrier_id:
        return {"state": "skipped", "reason": "not this carrier's job"}
    ignored = {"job_id": assignment.job_id, "type": body["type"], **({"status": body["data"]["status"]}
                                                                       if "status" in body["data"] else {})}
    if assignment.state not in REPORTABLE:
        append_event(session, delivery, IGNORED, {**ignored, "reason": f"the job is {assignment.state}, not this "
                                                  "carrier's any more"}, actor=actor)
        return {"state": "skipped", "reason": f"assignment is {assignment.state}"}
    if body.get("media_urls"):  # images as links: downloaded by a job, which then records the proof
        add_outbox(session, tenant_id=delivery.tenant_id, kind=MEDIA_KIND,
                   payload={"delivery_id": delivery.id, "carrier_id": carrier_id, "report": body})
        return {"state": "processed", "fetching": body["media_urls"]}
    try:
        event = apply_to_delivery(session, delivery, body, actor)
    except (InvalidTransition, PodRefused) as exc:
        code = "invalid_transition" if isinstance(exc, InvalidTransition) else (
            "pod_pending" if _fetching_proof(session, delivery) else "pod_incomplete")
        when = _when(body)
        append_event(session, delivery, IGNORED, {**ignored, "code": code, "reason": str(exc),
                                                  **({"occurred_at": iso(when)} if when else {})}, actor=actor)
        if code == "pod_incomplete":  # the goods may be handed over: someone must get the proof or decide
            _pod_incomplete(session, delivery, actor, str(exc), occurred_at=when)
        return {"state": "skipped", "reason": str(exc)}
    if body["type"] == "delivery.pod_captured":
        _deliver_once_proven(session, delivery, actor)
    return {"state": "processed", "event_id": event.id if event else None}


def _fetching_proof(session: Session, delivery: Delivery) -> bool:
    """Whether a proof of this delivery is being downloaded (its delivered then waits without alarm)."""
    rows = session.execute(select(OutboxItem.payload).where(
        OutboxItem.tenant_id == delivery.tenant_id, OutboxItem.kind == MEDIA_KIND,
        OutboxItem.processed_at.is_(None))).scalars()
    return any(payload.get("delivery_id") == delivery.id for payload in rows)


def _last_ignored(session: Session, delivery_id: str) -> DeliveryEvent | None:
    """The delivery's latest report that was recorded instead of applied (a delivered waiting for proof, ...)."""
    return session.execute(select(DeliveryEvent).where(
        DeliveryEvent.delivery_id == delivery_id, DeliveryEvent.type == IGNORED)
        .order_by(DeliveryEvent.sequence.desc()).limit(1)).scalar_one_or_none()


def _pod_incomplete(session: Session, delivery: Delivery, actor: dict[str, Any], why: str,
                    occurred_at: datetime | None = None) -> None:
    append_event(session, delivery, "delivery.exception", {
        "code": "pod_incomplete", "severity": "error",
        "message": f"the carrier reported delivered, but {why}; it is applied once the proof arrives"},
        actor=actor, occurred_at=occurred_at)


def alarm_if_unproven(session: Session, delivery: Delivery, actor: dict[str, Any], why: str) -> None:
    """After a proof download: a delivered still waiting for proof the download could not give raises the
    pod_incomplete exception it had held back."""
    waiting = _last_ignored(session, delivery.id)
    if waiting is None or waiting.data.get("code") != "pod_pending" or delivery.status == "delivered":
        return
    missing = pod_on_record(session, delivery)
    if missing:
        lacks = ", ".join(e.path.removeprefix("$.") for e in missing)
        _pod_incomplete(session, delivery, actor, f"its proof lacks {lacks} ({why})")


def _deliver_once_proven(session: Session, delivery: Delivery, actor: dict[str, Any]) -> None:
    """A carrier said delivered before sending its proof: now that the proof is here, apply that delivered."""
    waiting = _last_ignored(session, delivery.id)
    if waiting is None or waiting.data.get("code") not in ("pod_incomplete", "pod_pending") \
            or pod_on_record(session, delivery):
        return
    report = {"type": "delivery.status_changed", "data": {"status": "delivered"},
              **({"occurred_at": waiting.data["occurred_at"]} if waiting.data.get("occurred_at") else {})}
    try:
        apply_to_delivery(session, delivery, report, actor)
    except InvalidTransition:  # the delivery moved on meanwhile (an operator acted): leave it
        pass


def apply_inbound_report(session: Session, installation_id: str, job_id: str | None,
                         payload: Mapping[str, Any]) -> dict[str, Any]:
    """A report that came through POST /hooks/<installation id> (kind status or pod, external_id = job id):
    the same as the carrier API, for the carrier whose installation it is. For hub/intake/handlers.py."""
    assignment = find_job(session, job_id) if job_id else None
    carrier = session.get(Carrier, assignment.carrier_id) if assignment and assignment.carrier_id else None
    if assignment is None or carrier is None or carrier.installation_id != installation_id:
        return {"state": "skipped", "reason": f"no job {job_id!r} for this carrier"}
    body = dict(payload)
    errors = validate_report(body) or clock_errors(body, utcnow())
    if errors:
        return {"state": "skipped", "reason": "; ".join(f"{e.path}: {e.message}" for e in errors[:5])}
    return apply_report(session, assignment, body, carrier_id=carrier.id)
