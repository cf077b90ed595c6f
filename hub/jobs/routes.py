"""Which work follows which event: data, in one place. Each outbox kind names its job and queue."""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass


@dataclass(frozen=True)
class Handler:
    func: str  # dotted path of `handler(runtime, item_id: int) -> None`; must be idempotent
    queue: str
    policy: str


HANDLERS: dict[str, Handler] = {
    # Status back to the store the order came from (fulfilment, tracking, order notes).
    "writeback": Handler("hub.writeback.push_to_source", "webhooks", "external"),
    # The route's departure, minus a staging margin, to the warehouse as its pick-by time.
    "pick_by": Handler("hub.pick_by.send_pick_by", "webhooks", "external"),
    # Outbound webhooks: one row per (event, subscription); reads and writes only our database.
    "webhooks.fanout": Handler("hub.webhooks.delivery.fan_out", "webhooks", "ingest"),
    # One signed POST per try; the job schedules its own retries (Deferred), RQ retries only crashes.
    "webhooks.deliver": Handler("hub.webhooks.delivery.deliver", "webhooks", "external"),
    # Choose own fleet or a carrier (hub/assignment); reads our database, may ask carriers for quotes.
    "assign": Handler("hub.jobs.assign.assign_delivery", "assign", "assign"),
    # Send the carrier job to the chosen carrier; rejection or timeout re-assigns to the next candidate.
    "dispatch": Handler("hub.jobs.dispatch.dispatch_to_carrier", "dispatch", "external"),
    # A carrier's status / proof-of-delivery report, stored raw by the carrier API, applied here.
    "carrier_event": Handler("hub.jobs.dispatch.apply_carrier_report", "ingest", "ingest"),
    # Withdraw an accepted carrier job (delivery cancelled, or re-assigned by an operator).
    "carrier_cancel": Handler("hub.jobs.dispatch.cancel_at_carrier", "dispatch", "external"),
    # Own-fleet assignment or a cancellation: schedule (debounced) a plan of the depot's day; reads our database.
    "plan_routes": Handler("hub.jobs.plan_routes.on_event", "route", "ingest"),
    # Tracking (hub/tracking): ETAs, exceptions and recovery after a stop's arrival / completion / failure.
    "track": Handler("hub.jobs.track.on_event", "ingest", "ingest"),
    # Tracking on a driver's position (rows, not events: hub.jobs.track.enqueue_ping adds this outbox row).
    "track_ping": Handler("hub.jobs.track.on_ping_item", "ingest", "ingest"),
}

# (event type pattern, outbox kind): every matching kind gets one outbox row per event.
EVENT_ROUTES: list[tuple[str, str]] = [
    ("delivery.status_changed", "writeback"),
    ("route.planned", "pick_by"),
    ("route.updated", "pick_by"),
    ("*", "webhooks.fanout"),
    ("delivery.created", "assign"),
    ("delivery.updated", "assign"),  # the job skips updates that change nothing assignment depends on
    ("delivery.status_changed", "carrier_cancel"),  # the job acts only on a move to cancelled
    ("delivery.assigned", "plan_routes"),  # the handler acts on own-fleet assignments (and leaving a plan)
    ("delivery.status_changed", "plan_routes"),  # the handler acts on cancellations of planned deliveries
    ("delivery.status_changed", "track"),  # the handler acts on arriving, delivered and failed_attempt
]


def kinds_for_event(event_type: str) -> list[str]:
    return [kind for pattern, kind in EVENT_ROUTES if fnmatch.fnmatchcase(event_type, pattern)]
