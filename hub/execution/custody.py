"""Chain of custody: who held a delivery when (`delivery.handoff` events, warehouse -> driver -> carrier ->
recipient), and re-verification of everything recorded about it: the events' hash chain (up to the newest
event the delivery row names), the delivery's status against its events, and the SHA-256 of every file a proof
of delivery references. The first broken link is named by its event sequence."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.db.media import MediaMissing, MediaStore, sha256_hex
from hub.db.models import Delivery, DeliveryEvent
from hub.db.models.execution import PodMedia
from hub.ledger.events import ChainReport, append_event, iso, load_chain, verify_chain

HUB_MEDIA_PREFIX = "med_"  # ids the hub issued; other ids in a POD point at a carrier's own storage


def record_handoff(session: Session, delivery: Delivery, giver: dict[str, Any], taker: dict[str, Any], *,
                   actor: dict[str, Any], occurred_at: datetime | None = None, note: str = "") -> DeliveryEvent:
    data: dict[str, Any] = {"from": giver, "to": taker}
    if note:
        data["note"] = note
    return append_event(session, delivery, "delivery.handoff", data, actor=actor, occurred_at=occurred_at)


def _handoffs(session: Session, delivery_id: str) -> list[DeliveryEvent]:
    return list(session.execute(select(DeliveryEvent).where(DeliveryEvent.delivery_id == delivery_id,
                                                            DeliveryEvent.type == "delivery.handoff")
                                .order_by(DeliveryEvent.sequence)).scalars())


def holds(session: Session, delivery: Delivery, driver_id: str) -> bool:
    """Whether the last handoff left this delivery with this driver (a second attempt needs no new handoff)."""
    rows = _handoffs(session, delivery.id)
    return bool(rows) and rows[-1].data.get("to") == {"kind": "driver", "id": driver_id}


@dataclass(frozen=True)
class MediaCheck:
    media_id: str
    sequence: int  # the delivery.pod_captured event that references the file
    ok: bool
    reason: str = ""
    stored_by_hub: bool = True

    def as_dict(self) -> dict[str, Any]:
        return {"media_id": self.media_id, "sequence": self.sequence, "ok": self.ok, "reason": self.reason,
                "stored_by_hub": self.stored_by_hub}


@dataclass
class CustodyReport:
    delivery_id: str
    chain: ChainReport
    media: list[MediaCheck] = field(default_factory=list)
    handoffs: list[dict[str, Any]] = field(default_factory=list)
    gaps: list[dict[str, Any]] = field(default_factory=list)

    @property
    def first_broken(self) -> dict[str, Any] | None:
        links = []
        if not self.chain.ok and self.chain.broken_at is not None:
            link: dict[str, Any] = {"sequence": self.chain.broken_at, "kind": self.chain.kind,
                                    "reason": self.chain.reason}
            if self.chain.kind == "status":
                link.update(status=self.chain.status, expected_status=self.chain.expected_status)
            links.append((self.chain.broken_at, 0, link))
        links += [(m.sequence, 1, {"sequence": m.sequence, "kind": "media", "media_id": m.media_id,
                                   "reason": m.reason}) for m in self.media if not m.ok]
        return min(links, key=lambda link: link[:2])[2] if links else None

    @property
    def ok(self) -> bool:
        return self.first_broken is None

    def as_dict(self) -> dict[str, Any]:
        return {"delivery_id": self.delivery_id, "ok": self.ok, "first_broken": self.first_broken,
                "chain": self.chain.as_dict(), "media": [m.as_dict() for m in self.media],
                "handoffs": self.handoffs, "custody_gaps": self.gaps}


def media_refs(data: dict[str, Any]) -> list[dict[str, Any]]:
    refs = [data["signature"]] if isinstance(data.get("signature"), dict) else []
    return refs + [p for p in data.get("photos", []) if isinstance(p, dict)]


def _check_media(session: Session, store: MediaStore, event: DeliveryEvent, ref: dict[str, Any]) -> MediaCheck:
    media_id = str(ref.get("id", ""))
    if not media_id.startswith(HUB_MEDIA_PREFIX):
        return MediaCheck(media_id, event.sequence, True, "kept by the carrier, not by the hub", stored_by_hub=False)
    row = session.get(PodMedia, media_id)
    if row is None or row.delivery_id != event.delivery_id:
        return MediaCheck(media_id, event.sequence, False, "the file's record is missing")
    if row.sha256 != ref.get("sha256"):
        return MediaCheck(media_id, event.sequence, False, "the file's record does not match the event's hash")
    try:
        data = store.read(row.storage_key)
    except MediaMissing:
        return MediaCheck(media_id, event.sequence, False, "the stored file is missing")
    if sha256_hex(data) != ref.get("sha256"):
        return MediaCheck(media_id, event.sequence, False, "the stored file was changed after it was recorded")
    return MediaCheck(media_id, event.sequence, True)


def verify_custody(session: Session, store: MediaStore, delivery: Delivery) -> CustodyReport:
    events, head = load_chain(session, delivery.id)
    report = CustodyReport(delivery.id, verify_chain(events, head))
    holder: dict[str, Any] | None = None
    for event in events:
        if event.type == "delivery.pod_captured":
            report.media.extend(_check_media(session, store, event, ref) for ref in media_refs(event.data or {}))
        elif event.type == "delivery.handoff":
            data = event.data or {}
            report.handoffs.append({"sequence": event.sequence, "at": iso(event.occurred_at),
                                    "from": data.get("from"), "to": data.get("to")})
            if holder is not None and data.get("from") != holder:
                report.gaps.append({"sequence": event.sequence, "expected_from": holder, "from": data.get("from")})
            holder = data.get("to")
    return report
