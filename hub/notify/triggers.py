"""Which hub events are which customer messages ("triggers"), judged on the event and the delivery. Pure.

    delivery.created                         -> order_confirmed (with the tracking link)
    delivery.status_changed to in_transit    -> out_for_delivery (with the promised window)
    delivery.eta_changed, ETA within N minutes, or the stop within N stops of the van
                                             -> arriving_soon (checked again at ETA - N minutes, and when an
                                                earlier stop of the route ends)
    delivery.status_changed to delivered     -> delivered (the proof is on the tracking page)
    delivery.status_changed to failed_attempt -> failed_attempt (with the link to choose what happens next)
    delivery.status_changed to rescheduled   -> rescheduled (with the new window)
    delivery.eta_changed, ETA past the promised window's end (+ grace)
                                             -> delayed
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

TRIGGERS: tuple[str, ...] = ("order_confirmed", "out_for_delivery", "arriving_soon", "delivered", "failed_attempt",
                             "rescheduled", "delayed")
CHANNELS: tuple[str, ...] = ("email", "sms")
STATUS_TRIGGERS: dict[str, str] = {"in_transit": "out_for_delivery", "delivered": "delivered",
                                   "failed_attempt": "failed_attempt", "rescheduled": "rescheduled"}
# An "arriving soon" is only true once the goods are on their way to the customer.
ON_THE_WAY = frozenset({"dispatched", "picked_up", "in_transit"})
# A delay is news until the delivery is done (or failed: then failed_attempt says it).
DELAY_MATTERS = frozenset({"received", "needs_attention", "assigned", "planned", "dispatched", "picked_up",
                           "in_transit", "arriving", "rescheduled"})
# An "arriving soon" held back (quiet hours) is stale this long after the ETA it announced.
ARRIVING_SOON_STALE = timedelta(minutes=15)


def event_triggers(event_type: str, data: dict[str, Any]) -> list[str]:
    """The triggers an event fires by itself (ETA triggers need the clock and the route: `eta_triggers`)."""
    if event_type == "delivery.created":
        return ["order_confirmed"]
    if event_type == "delivery.status_changed" and data.get("status") in STATUS_TRIGGERS:
        return [STATUS_TRIGGERS[data["status"]]]
    return []


def arriving_soon(status: str, eta: datetime | None, now: datetime, stops_ahead: int | None,
                  rule: dict[str, Any]) -> bool:
    """ETA within `minutes`, or at most `stops` stops before this one on the van's route (0 turns that off)."""
    if status not in ON_THE_WAY:
        return False
    minutes, stops = int(rule.get("minutes", 15)), int(rule.get("stops", 0))
    if eta is not None and eta - now <= timedelta(minutes=minutes):
        return True
    return stops > 0 and stops_ahead is not None and stops_ahead < stops


def next_arriving_soon_check(eta: datetime | None, now: datetime, rule: dict[str, Any]) -> datetime | None:
    """When the ETA will be `minutes` away (to look again then), or None when that is past or unknown."""
    if eta is None:
        return None
    when = eta - timedelta(minutes=int(rule.get("minutes", 15)))
    return when if when > now else None


def delayed(status: str, eta: datetime | None, window_end: datetime | None, rule: dict[str, Any]) -> bool:
    """The ETA is past the promised window's end by more than the grace."""
    if status not in DELAY_MATTERS or eta is None or window_end is None:
        return False
    return eta > window_end + timedelta(minutes=int(rule.get("grace_minutes", 0)))
