"""Proof of delivery: capture (files stored, hashed and referenced by a `delivery.pod_captured` event), the
delivery's POD requirements (signature, photo, minimum age), and failed attempts with a reason code."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.canonical.statuses import check_move
from hub.canonical.validation import FieldError, validate_document
from hub.db.media import MediaStore, Upload, media_ref, store_media
from hub.db.models import Delivery, DeliveryEvent
from hub.execution.custody import media_refs, record_handoff
from hub.ledger.deliveries import change_status
from hub.ledger.events import append_event, iso

# A phone photo is 2-6 MB; anything far above that is not a POD photo.
MAX_FILE_BYTES = 10 * 1024 * 1024
# Enough angles of a parcel at the door; more is a misbehaving app.
MAX_PHOTOS = 10
IMAGE_TYPES = frozenset({"image/jpeg", "image/png", "image/webp", "image/heic", "image/heif"})
FAIL_REASONS = {
    "customer_unavailable": "Nobody was there to take the delivery",
    "address_not_found": "The address could not be found",
    "access_denied": "The driver could not get in (gate, building, security)",
    "refused": "The recipient refused the delivery",
    "damaged": "The goods were damaged",
    "other": "Other reason (see the note)",
}


class PodRefused(Exception):
    """The proof is incomplete or malformed: each error names the field (answered as 422)."""

    def __init__(self, message: str, errors: list[FieldError]) -> None:
        super().__init__(message)
        self.errors = errors


@dataclass
class PodInput:
    captured_at: datetime
    recipient_name: str | None = None
    signature: Upload | None = None
    photos: list[Upload] = field(default_factory=list)
    position: dict[str, float] | None = None  # {"lat", "lng", "accuracy_m"?}
    notes: str | None = None
    age_verified: bool = False  # the driver checked the recipient's ID against the delivery's minimum age


def check_upload(path: str, upload: Upload) -> list[FieldError]:
    errors = []
    if upload.content_type not in IMAGE_TYPES:
        errors.append(FieldError(path, f"must be an image ({', '.join(sorted(IMAGE_TYPES))}), "
                                       f"not {upload.content_type or 'unknown'}"))
    if not upload.data:
        errors.append(FieldError(path, "the file is empty"))
    elif len(upload.data) > MAX_FILE_BYTES:
        errors.append(FieldError(path, f"the file is larger than {MAX_FILE_BYTES // (1024 * 1024)} MB"))
    return errors


def requirement_errors(requirements: dict[str, Any], *, signature: bool, photo: bool, age_verified: bool,
                       recipient_name: bool) -> list[FieldError]:
    """What the delivery requires and the proof lacks, one error per missing piece."""
    errors = []
    if requirements.get("signature") and not signature:
        errors.append(FieldError("$.signature", "this delivery requires the recipient's signature"))
    if requirements.get("photo") and not photo:
        errors.append(FieldError("$.photos", "this delivery requires at least one photo"))
    if requirements.get("minimum_age"):
        if not age_verified:
            errors.append(FieldError("$.age_verified", f"this delivery requires checking that the recipient is at "
                                                       f"least {requirements['minimum_age']}; send age_verified=true"))
        if not recipient_name:
            errors.append(FieldError("$.recipient_name", "an age-checked delivery needs the recipient's name"))
    return errors


def check_pod(delivery: Delivery, pod: PodInput) -> None:
    """Raise InvalidTransition (409) or PodRefused (422) before anything is stored."""
    check_move(delivery.status, "delivered")
    errors = ([] if pod.signature is None else check_upload("$.signature", pod.signature))
    for index, photo in enumerate(pod.photos):
        errors += check_upload(f"$.photos[{index}]", photo)
    if len(pod.photos) > MAX_PHOTOS:
        errors.append(FieldError("$.photos", f"at most {MAX_PHOTOS} photos"))
    errors += requirement_errors(delivery.document.get("requirements", {}), signature=pod.signature is not None,
                                 photo=bool(pod.photos), age_verified=pod.age_verified,
                                 recipient_name=bool(pod.recipient_name))
    if errors:
        missing = ", ".join(e.path.removeprefix("$.") for e in errors)
        raise PodRefused(f"the proof of delivery is not complete: {missing}", errors)


def capture_pod(session: Session, store: MediaStore, delivery: Delivery, pod: PodInput,
                actor: dict[str, Any]) -> DeliveryEvent:
    """Store the files and write the `delivery.pod_captured` event that carries their hashes."""
    data: dict[str, Any] = {"captured_at": iso(pod.captured_at)}
    if pod.recipient_name:
        data["recipient_name"] = pod.recipient_name
    if pod.signature is not None:
        data["signature"] = media_ref(store_media(session, store, delivery, pod.signature, actor))
    if pod.photos:
        data["photos"] = [media_ref(store_media(session, store, delivery, p, actor)) for p in pod.photos]
    if pod.position:
        data["position"] = pod.position
    if pod.notes:
        data["notes"] = pod.notes
    errors = validate_document("events/pod_captured.v1", data)
    if errors:  # our own construction: a bug, never the caller's fault
        raise ValueError(f"pod_captured event does not match its schema: {errors}")
    session.flush()
    return append_event(session, delivery, "delivery.pod_captured", data, actor=actor, occurred_at=pod.captured_at)


def complete_with_pod(session: Session, store: MediaStore, delivery: Delivery, pod: PodInput, *,
                      actor: dict[str, Any], holder: dict[str, Any]) -> DeliveryEvent:
    """POD, then the age check (when required), the handoff to the recipient, and the status delivered."""
    check_pod(delivery, pod)
    event = capture_pod(session, store, delivery, pod, actor)
    minimum_age = delivery.document.get("requirements", {}).get("minimum_age")
    if minimum_age:
        append_event(session, delivery, "delivery.age_verified",
                     {"minimum_age": minimum_age, "method": "id_checked_by_driver", "pod_event_id": event.id},
                     actor=actor, occurred_at=pod.captured_at)
    recipient = {"kind": "recipient", **({"name": pod.recipient_name} if pod.recipient_name else {})}
    record_handoff(session, delivery, holder, recipient,
                   actor=actor, occurred_at=pod.captured_at)
    # Server time, not the phone's: a skewed device clock must not turn this into a "late" report.
    change_status(session, delivery, "delivered", actor=actor, reason="delivered with proof of delivery", extra={"location": pod.position} if pod.position else None)
    return event


def require_pod_on_record(session: Session, delivery: Delivery) -> None:
    """Before a plain `delivered` (a carrier that sent its proof separately): PodRefused naming what is missing."""
    if missing := pod_on_record(session, delivery):
        raise PodRefused("the delivery's required proof is not on record: "
                         + ", ".join(e.path.removeprefix("$.") for e in missing), missing)


def pod_on_record(session: Session, delivery: Delivery) -> list[FieldError]:
    """For a plain `delivered` report: what the delivery requires and no stored proof gives."""
    rows = session.execute(select(DeliveryEvent).where(DeliveryEvent.delivery_id == delivery.id,
                                                       DeliveryEvent.type.in_(("delivery.pod_captured",
                                                                               "delivery.age_verified")))).scalars()
    signature = photo = age = name = False
    for event in rows:
        if event.type == "delivery.age_verified":
            age = True
            continue
        refs = media_refs(event.data)
        signature = signature or isinstance(event.data.get("signature"), dict)
        photo = photo or len(refs) > (1 if isinstance(event.data.get("signature"), dict) else 0)
        name = name or bool(event.data.get("recipient_name"))
    return requirement_errors(delivery.document.get("requirements", {}), signature=signature, photo=photo,
                              age_verified=age, recipient_name=name)


def fail_attempt(session: Session, delivery: Delivery, reason_code: str, note: str, *, actor: dict[str, Any],
                 position: dict[str, float] | None = None, occurred_at: datetime | None = None) -> DeliveryEvent | None:
    errors = []
    if reason_code not in FAIL_REASONS:
        errors.append(FieldError("$.reason_code", f"must be one of {', '.join(FAIL_REASONS)}"))
    elif reason_code == "other" and not note.strip():
        errors.append(FieldError("$.note", "reason 'other' needs a note saying what happened"))
    if errors:
        raise PodRefused("the failed attempt needs a known reason", errors)
    extra: dict[str, Any] = {}
    if note.strip():
        extra["note"] = note.strip()
    if position:
        extra["location"] = position
    return change_status(session, delivery, "failed_attempt", actor=actor, reason=FAIL_REASONS[reason_code],
                         reason_code=reason_code, occurred_at=occurred_at, extra=extra)
