"""/t/<token>/next: the recipient's own choice after a failed attempt (a new slot, a safe place or a neighbour,
a pickup point, or a request to the operator about the address). Plain HTML forms with a signed nonce: it
works without JavaScript. The token is the delivery's private tracking token (hub/ledger/tracking_links.py).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from typing import Any

from flask import Blueprint, abort, render_template, request
from sqlalchemy.orm import Session

from hub.customer import nonce
from hub.customer.choices import (
    ChoiceRefused, can_choose, choose_slot, drop_of, leave_with, pickup_at, request_address_change,
)
from hub.db.engine import transaction
from hub.db.models import Delivery, utcnow
from hub.ledger.tracking_links import delivery_for_token
from hub.runtime import get_runtime
from hub.slots.engine import covering_depots, slots_for
from hub.slots.reservations import SlotRefused, hold_lock
from hub.slots.settings import load_settings

blp = Blueprint("next_attempt", __name__, template_folder="templates",
                static_folder="slot_assets", static_url_path="/slots/assets")


def _day_label(moment: datetime) -> str:
    return moment.strftime("%A %-d %B")


def open_days(session: Session, delivery: Delivery, now: datetime) -> list[dict[str, Any]]:
    """The open windows of the next days (the tenant's slots.days_ahead, from tomorrow), by the depot's day."""
    settings = load_settings(session, delivery.tenant_id)
    drop = drop_of(delivery)
    depots = covering_depots(session, delivery.tenant_id, drop)
    offset = timedelta(minutes=depots[0].utc_offset_min or 0) if depots else timedelta(0)
    today = (now.astimezone(timezone(offset))).date()
    days = []
    # From tomorrow: the day's plan has already visited this delivery, and a plan holds each delivery once.
    for ahead in range(1, settings.days_ahead + 1):
        day: date = today + timedelta(days=ahead)
        answer = slots_for(session, delivery.tenant_id, day, drop, now)
        windows = [{"start": w.start.isoformat(), "label": f"{w.start:%H:%M}–{w.end:%H:%M}"}
                   for w in answer.windows if w.open]
        if windows:
            days.append({"label": _day_label(answer.windows[0].start), "windows": windows})
    return days


def _page(session: Session, token: str, delivery: Delivery, *, error: dict[str, str] | None = None,
          done: str | None = None, status: int = 200) -> tuple[str, int]:
    now = utcnow()
    settings = load_settings(session, delivery.tenant_id)
    choosing = can_choose(session, delivery) and done is None
    secret = get_runtime().config.secret_key
    return render_template(
        "next_attempt.html", token=token, delivery=delivery, window=delivery.document.get("promised_window"),
        days=open_days(session, delivery, now) if choosing else [], pickup_points=settings.pickup_points,
        choosing=choosing, nonce=nonce.issue(secret, token), error=error, done=done,
        store=(delivery.document.get("source") or {}).get("store") or "",
    ), status


def _delivery(session: Session, token: str) -> Delivery:
    delivery = delivery_for_token(session, token)
    if delivery is None:
        abort(404)
    return delivery


@blp.route("/t/<token>/next", methods=["GET"])
def show(token: str) -> tuple[str, int]:
    with get_runtime().sessions() as session:
        return _page(session, token, _delivery(session, token))


def _when(window: dict[str, str] | None) -> str:
    if not window or "start" not in window:
        return "a new day"
    start = datetime.fromisoformat(window["start"])
    end = datetime.fromisoformat(window["end"]) if window.get("end") else None
    return f"{_day_label(start)}, {start:%H:%M}" + (f"–{end:%H:%M}" if end else "")


def _apply(session: Session, delivery: Delivery, form: Any, now: datetime) -> str:
    choice = form.get("choice", "")
    if choice == "slot":
        try:
            start = datetime.fromisoformat(form.get("window_start", ""))
        except ValueError:
            raise ChoiceRefused("choose one of the windows", "window_start") from None
        if start.tzinfo is None or start.date() <= now.astimezone(start.tzinfo).date():
            raise ChoiceRefused("choose one of the windows", "window_start")  # from tomorrow, as offered
        with hold_lock(get_runtime().redis, delivery.tenant_id):
            choose_slot(session, delivery, start, now)
            session.flush()
        return f"Your delivery is booked for {_when(delivery.document.get('promised_window'))}."
    if choice == "leave":
        leave_with(session, delivery, form.get("leave", ""), form.get("instructions", ""), now)
        return (f"We will leave it as you asked on {_when(delivery.document.get('promised_window'))}.")
    if choice == "pickup":
        points = {p.id: p for p in load_settings(session, delivery.tenant_id).pickup_points}
        point = points.get(form.get("pickup_point", ""))
        if point is None:
            raise ChoiceRefused("choose one of the pickup points", "pickup_point")
        pickup_at(session, delivery, point, now)
        return (f"We will take it to {point.name}, {point.address}, on {_when(delivery.document.get('promised_window'))}."
                " We will tell you when it is ready.")
    if choice == "address":
        request_address_change(session, delivery, form.get("note", ""))
        return "Thank you: our team will contact you about the address before the next attempt."
    raise ChoiceRefused("choose one of the options")


@blp.route("/t/<token>/next", methods=["POST"])
def choose(token: str) -> tuple[str, int]:
    runtime = get_runtime()
    if not nonce.valid(runtime.config.secret_key, token, request.form.get("nonce", "")):
        with runtime.sessions() as session:
            delivery = _delivery(session, token)
            return _page(session, token, delivery, status=400, error={
                "field": "form", "message": "This page was open too long or did not come from us; please choose again."})
    try:
        with transaction(runtime.sessions) as session:
            delivery = _delivery(session, token)
            done = _apply(session, delivery, request.form, utcnow())
    except ChoiceRefused as exc:
        with runtime.sessions() as session:
            return _page(session, token, _delivery(session, token), status=422,
                         error={"field": exc.field, "message": exc.message})
    except SlotRefused as exc:
        with runtime.sessions() as session:
            return _page(session, token, _delivery(session, token), status=409,
                         error={"field": "window_start", "message": f"That window was just taken ({exc.message}); "
                                "please choose another."})
    with runtime.sessions() as session:
        return _page(session, token, _delivery(session, token), done=done)
