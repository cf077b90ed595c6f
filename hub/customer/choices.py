"""The recipient's choice for the next attempt, carried out: a `delivery.recovery` event decided by the customer,
applied the way the recovery policy applies its own (hub/tracking/recovery.py).

- a new slot: the window is held and confirmed for this delivery (it takes room in that day at once), the
  delivery is rescheduled to it, and the `delivery.updated` that follows re-assigns and re-plans that day;
- a safe place or a neighbour: the instructions go on the drop-off (what the driver reads), and the delivery
  is rescheduled to the policy's next window;
- a pickup point: the drop-off becomes the point (hub/tracking/pickup.py: its address and coordinates, the
  recipient's own address kept), rescheduled to its opening on the first day it can be served, re-assigned and
  re-planned; a point without coordinates, city and country is rescheduled the same way as before and an
  exception asks an operator to route it there.
A slot or a safe place after a pickup point brings the delivery back to the recipient's own address. Nothing here
changes the address: a recipient's note asking for that becomes an `address_change_requested` exception for an
operator (a point from the tenant's own list is not an address change).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from hub.canonical.validation import validate_document
from hub.db.models import Delivery, DeliveryEvent, utcnow
from hub.intake.reservations import confirm, local_window
from hub.ledger.destinations import back_home, customer_address, pickup_point_of
from hub.ledger.events import append_event, iso
from hub.slots.engine import Drop
from hub.slots.reservations import hold
from hub.slots.settings import PickupPoint
from hub.tracking.pickup import destination, pickup_window
from hub.tracking.recovery import RecoveryError, apply_recovery, failed_attempts, load_policy, next_window, set_window

CUSTOMER = {"kind": "customer"}
DECIDED_BY = {"kind": "customer"}
# After a failed attempt the recovery policy usually reschedules and the hub re-assigns and re-plans at once:
# until the goods are on a van again, the recipient may still choose.
OPEN_STATUSES = frozenset({"failed_attempt", "rescheduled", "assigned", "planned", "needs_attention"})
MAX_TEXT = 500  # a note for a driver, not a letter


class ChoiceRefused(Exception):
    def __init__(self, message: str, field: str = "choice") -> None:
        super().__init__(message)
        self.message, self.field = message, field


def drop_of(delivery: Delivery) -> Drop:
    """The recipient's own door (not a pickup point it went to before): where a new slot is tried."""
    address = customer_address(delivery.document)
    geo = address.get("geo")
    parcels = delivery.document.get("parcels") or []
    weight = sum(int(p.get("quantity", 1)) * int(p.get("weight_g", 0)) for p in parcels)
    count = sum(int(p.get("quantity", 1)) for p in parcels) or 1
    return Drop(postal_code=str(address.get("postal_code", "")), country=str(address.get("country", "")),
                point=(float(geo["lat"]), float(geo["lng"])) if geo else None, weight_g=weight, parcels=count)


def _exception(session: Session, delivery: Delivery, code: str, message: str, note: str) -> None:
    data = {"code": code, "message": message, "severity": "warning"}
    if note:
        data["note"] = note
    errors = validate_document("events/exception.v1", data)
    if errors:
        raise ValueError(f"exception event does not match its schema: {errors}")
    append_event(session, delivery, "delivery.exception", data, actor=CUSTOMER)


def _reschedule(session: Session, delivery: Delivery, window: dict[str, str], choice: dict[str, Any], *,
                dropoff: dict[str, Any] | None = None, recorded: dict[str, Any] | None = None) -> DeliveryEvent:
    """To `window` (and `dropoff`, when it changes): through the recovery policy's own action from failed_attempt;
    a delivery the policy already rescheduled (and the hub re-assigned) keeps its status and takes the customer's
    choice; the delivery.updated that writes it re-assigns and re-plans, as after the policy's own reschedule.
    A choice other than a pickup point sends a delivery that went to one back to the recipient's own address."""
    if dropoff is None and choice["kind"] != "pickup_point" and pickup_point_of(delivery.document) is not None:
        dropoff = back_home(delivery.document)
    if delivery.status == "failed_attempt":
        return apply_recovery(session, delivery, "reschedule", decided_by=DECIDED_BY, actor=CUSTOMER, window=window,
                              note=f"the recipient chose: {choice['kind']}", choice=choice,
                              policy=load_policy(session, delivery.tenant_id), dropoff=dropoff, destination=recorded)
    previous_window = delivery.document.get("promised_window")
    set_window(session, delivery, window, CUSTOMER, dropoff)
    data: dict[str, Any] = {"action": "reschedule", "previous_status": delivery.status, "status": delivery.status,
                            "decided_by": DECIDED_BY, "window": window, "choice": choice, **(recorded or {})}
    if previous_window:
        data["previous_window"] = previous_window
    return append_event(session, delivery, "delivery.recovery", data, actor=CUSTOMER)


def _with_instructions(session: Session, delivery: Delivery, text: str) -> None:
    """The driver reads drop-off access instructions; the recipient's words go first, marked as theirs."""
    dropoff = dict(delivery.document.get("dropoff") or {})
    access = dict(dropoff.get("access") or {})
    before = access.get("instructions", "")
    access["instructions"] = text + (f"\n{before}" if before else "")
    dropoff["access"] = access
    doc = {**delivery.document, "dropoff": dropoff, "updated_at": iso(utcnow()),
           "version": (delivery.version or 0) + 1, "status": delivery.status}
    delivery.document = doc
    delivery.updated_at = utcnow()
    append_event(session, delivery, "delivery.updated", {"changed": ["dropoff"], "delivery": doc}, actor=CUSTOMER)


def choose_slot(session: Session, delivery: Delivery, window_start: datetime, now: datetime) -> DeliveryEvent:
    from_status(session, delivery)
    held = hold(session, delivery.tenant_id, drop_of(delivery), window_start, now, channel="next_attempt")
    confirm(held.reservation, delivery.id, now)
    window = local_window(held.reservation)
    choice = {"kind": "slot", "reservation_id": held.reservation.id}
    return _reschedule(session, delivery, window, choice)


def leave_with(session: Session, delivery: Delivery, kind: str, instructions: str, now: datetime) -> DeliveryEvent:
    from_status(session, delivery)
    text = instructions.strip()[:MAX_TEXT]
    if kind not in ("safe_place", "neighbour"):
        raise ChoiceRefused("choose a safe place or a neighbour", "leave")
    if not text:
        raise ChoiceRefused("say where the safe place is, or which neighbour (name and door)", "instructions")
    label = "Safe place" if kind == "safe_place" else "Leave with neighbour"
    _with_instructions(session, delivery, f"{label} (the recipient's words): {text}")
    window = next_window(load_policy(session, delivery.tenant_id), delivery.document.get("promised_window"), now)
    return _reschedule(session, delivery, window, {"kind": kind, "instructions": text})


def pickup_at(session: Session, delivery: Delivery, point: PickupPoint, now: datetime) -> DeliveryEvent:
    """The next attempt at the point: applied by the recovery policy when the hub can route there itself,
    else rescheduled as before and handed to an operator."""
    from_status(session, delivery)
    policy = load_policy(session, delivery.tenant_id)
    choice = {"kind": "pickup_point", "pickup_point": point.id}
    promised = delivery.document.get("promised_window")
    if point.routable:
        try:
            window = pickup_window(point, policy, promised, now)
        except RecoveryError as exc:
            raise ChoiceRefused(exc.message, "pickup_point") from None
        dropoff, recorded = destination(delivery.document, point)
        return _reschedule(session, delivery, window, choice, dropoff=dropoff, recorded=recorded)
    event = _reschedule(session, delivery, next_window(policy, promised, now), choice)
    _exception(session, delivery, "pickup_point_chosen",
               f"The recipient wants to collect it at {point.name} ({point.address}); route it there.", "")
    return event


def request_address_change(session: Session, delivery: Delivery, note: str) -> None:
    """The page never edits the address: the request goes to an operator, in the recipient's words."""
    text = note.strip()[:MAX_TEXT]
    if not text:
        raise ChoiceRefused("write what should change", "note")
    _exception(session, delivery, "address_change_requested",
               "The recipient asks to change the delivery address; check with them before changing it.", text)


def can_choose(session: Session, delivery: Delivery) -> bool:
    """Only after a failed attempt, and before the goods leave on a van again."""
    return delivery.status in OPEN_STATUSES and failed_attempts(session, delivery.id) > 0


def from_status(session: Session, delivery: Delivery) -> None:
    if not can_choose(session, delivery):
        raise ChoiceRefused(f"this delivery is {delivery.status.replace('_', ' ')}: there is nothing to choose now")
