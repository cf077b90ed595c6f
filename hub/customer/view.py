"""What the customer's tracking page shows, from the facts the hub holds (hub/customer/facts.py). Pure: the
page's privacy rules live here, in one place, where tests can read them:

- the driver's position and the line still to drive only while the customer's stop is at most
  `position_within_stops` stops away (tenant setting) and the driver is on the way;
- the line's corners (other customers' stops) are never marked or named;
- the driver's first name only, never a phone number; the proof's photo, signature and time, never its GPS.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from hub.customer.clock import clock_time, day_and_time, delivery_zone, window_text
from hub.customer.facts import Facts
from hub.customer.mapdraw import draw_map
from hub.customer.words import say
from hub.ledger.destinations import pickup_point_of
from hub.ledger.envelope import utc

# The headline for each canonical status, in words a customer understands.
HEADLINES = {
    "received": "We are preparing your delivery", "needs_attention": "We are preparing your delivery",
    "assigned": "Delivery scheduled", "planned": "Delivery scheduled",
    "dispatched": "With the driver", "picked_up": "With the driver",
    "in_transit": "On the way", "arriving": "Arriving soon", "delivered": "Delivered",
    "failed_attempt": "Delivery attempt failed", "rescheduled": "New delivery planned",
    "returned": "Returned to sender", "cancelled": "Cancelled",
}
# Where the history's steps come from: the created event, then every status change, in those words.
TIMELINE_LABELS = {**HEADLINES, "received": "Order received", "needs_attention": "Order received"}
FAIL_WORDS = {
    "customer_unavailable": "Nobody was there to take the delivery.",
    "address_not_found": "The driver could not find the address.",
    "access_denied": "The driver could not get in.",
    "refused": "The delivery was refused.",
    "damaged": "The goods were damaged.",
}
ON_THE_WAY = frozenset({"picked_up", "in_transit", "arriving"})
ETA_SHOWN = frozenset({"assigned", "planned", "dispatched", "picked_up", "in_transit", "arriving", "rescheduled"})
# Once the goods are on the road again (or there for good), a failed attempt is no longer the news.
PAST_FAILURE = frozenset({"dispatched", "picked_up", "in_transit", "arriving", "delivered", "returned", "cancelled"})


def phase_of(status: str, failed: bool) -> str:
    """Which sections the page has; a change of phase makes the page's script load it anew."""
    if status == "delivered":
        return "delivered"
    if status in ("returned", "cancelled"):
        return "ended"
    return "failed" if failed else "live"


def timeline(facts: Facts, lang: str, zone: Any) -> list[dict[str, str]]:
    steps: list[dict[str, str]] = []
    for event in facts.events:
        if event.type == "delivery.created":
            label = "Order received"
        elif event.type == "delivery.status_changed":
            label = TIMELINE_LABELS.get((event.data or {}).get("status", ""), "")
        else:
            continue
        text = say(lang, label) if label else ""
        if text and (not steps or steps[-1]["label"] != text):
            steps.append({"label": text, "time": day_and_time(utc(event.occurred_at), zone, lang)})
    return steps


def open_failure(facts: Facts) -> dict[str, Any] | None:
    """The latest failed attempt, while what followed it is recovery (rescheduled, re-planned), not a new run."""
    for event in reversed(facts.events):
        status = (event.data or {}).get("status") if event.type == "delivery.status_changed" else None
        if status == "failed_attempt":
            return event.data or {}
        if status in PAST_FAILURE:
            return None
    return None


def stops_text(stops_before: int, lang: str) -> str:
    if stops_before == 0:
        return say(lang, "Your stop is next")
    if stops_before == 1:
        return say(lang, "1 stop before you")
    return say(lang, "{n} stops before you", n=stops_before)


def pickup_point_text(doc: dict[str, Any]) -> str | None:
    """Where the parcel goes when the recipient chose one of the tenant's pickup points: its name and address."""
    point = pickup_point_of(doc)
    if point is None:
        return None
    address = (doc.get("dropoff") or {}).get("address") or {}
    place = " ".join(str(address[k]) for k in ("postal_code", "city") if address.get(k))
    return ", ".join(part for part in (point["name"], str(address.get("line1", "")), place) if part)


def page_view(facts: Facts, lang: str, token: str, now: datetime) -> dict[str, Any]:
    """Everything the page and its live updates show, as plain JSON-able values (the map as SVG text)."""
    settings, route, status = facts.settings, facts.route, facts.status
    window = facts.document.get("promised_window")
    zone = delivery_zone(window, facts.depot_offset_min)
    on_the_way = status in ON_THE_WAY and route is not None
    close = on_the_way and route is not None and route.stops_before <= settings.position_within_stops
    failure = open_failure(facts)
    view: dict[str, Any] = {
        "status": status, "phase": phase_of(status, failure is not None), "head": facts.head,
        "headline": say(lang, HEADLINES.get(status, "We are preparing your delivery")),
        "timeline": timeline(facts, lang, zone),
        "window": window_text(window, zone, lang),
        # After a failed attempt the last estimate was for that run, not the next one.
        "eta": clock_time(facts.eta, zone, lang) if facts.eta and status in ETA_SHOWN and not failure else None,
        "stops": stops_text(route.stops_before, lang) if on_the_way and route else None,
        "driver": route.driver_first_name if route and status in ON_THE_WAY | {"dispatched"} else None,
        "vehicle": route.vehicle_name if route and status in ON_THE_WAY | {"dispatched"} else None,
        "map": None, "map_note": None, "failed": None, "proof": None,
        "destination": pickup_point_text(facts.document),
    }
    if facts.destination and view["phase"] in ("live", "failed"):
        position = route.position if close and route else None
        title = say(lang, "Map with the driver's position, the way to you and your address") if position \
            else say(lang, "Map with the pickup point" if view["destination"] else "Map with your address")
        view["map"] = str(draw_map(facts.destination, driver=position, line=route.line if position and route else (),
                                   tile_url=settings.tile_url, title=title))
        if on_the_way and position is None and not close:
            view["map_note"] = say(lang, "The driver's position shows here when you are one of the next {n} stops.",
                                   n=settings.position_within_stops)
    if failure is not None and view["phase"] == "failed":
        reason = FAIL_WORDS.get(failure.get("reason_code", ""), "The driver could not complete the delivery.")
        view["failed"] = {"reason": say(lang, reason), "next_url": f"/t/{token}/next"}
    if facts.proof is not None:
        proof = facts.proof
        view["proof"] = {"time": say(lang, "Delivered at {time}", time=day_and_time(proof.captured_at, zone, lang)),
                         "recipient": say(lang, "Received by {name}", name=proof.recipient_name)
                         if proof.recipient_name else None,
                         "photo_url": proof.photo_url, "signature_url": proof.signature_url}
    return view
