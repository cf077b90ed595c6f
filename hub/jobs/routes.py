"""Which work follows which event: data, in one place. Each outbox kind names its job and queue."""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass
from typing import Any


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
    # A carrier's proof given as image links: download, store with SHA-256, record (hub/jobs/carrier_media.py).
    "carrier_media": Handler("hub.jobs.carrier_media.fetch_proof", "dispatch", "external"),
    # Withdraw an accepted carrier job (delivery cancelled, or re-assigned by an operator).
    "carrier_cancel": Handler("hub.jobs.dispatch.cancel_at_carrier", "dispatch", "external"),
    # Own-fleet assignment or a cancellation: schedule (debounced) a plan of the depot's day; reads our database.
    "plan_routes": Handler("hub.jobs.plan_routes.on_event", "route", "ingest"),
    # Tracking (hub/tracking): ETAs, exceptions and recovery after a stop's arrival / completion / failure.
    "track": Handler("hub.jobs.track.on_event", "ingest", "ingest"),
    # Tracking on a driver's position (rows, not events: hub.jobs.track.enqueue_ping adds this outbox row).
    "track_ping": Handler("hub.jobs.track.on_ping_item", "ingest", "ingest"),
}

@dataclass(frozen=True)
class Route:
    """Events of type `pattern` get an outbox row of `kind`, when the conditions hold. The conditions only
    spare rows whose job would do nothing; each handler still checks for itself."""

    pattern: str  # fnmatch pattern over event types
    kind: str
    statuses: frozenset[str] | None = None  # delivery.status_changed: only moves to one of these
    from_store: bool = False  # only deliveries that came in through an installed connector
    subscribed: bool = False  # only when one of the tenant's webhook subscriptions wants the type


EVENT_ROUTES: list[Route] = [
    Route("delivery.status_changed", "writeback", from_store=True),
    Route("route.planned", "pick_by"),
    Route("route.updated", "pick_by"),
    Route("*", "webhooks.fanout", subscribed=True),
    Route("delivery.created", "assign"),
    Route("delivery.updated", "assign"),  # the job skips updates that change nothing assignment depends on
    Route("delivery.status_changed", "carrier_cancel", statuses=frozenset({"cancelled"})),
    Route("delivery.assigned", "plan_routes"),  # the handler acts on own-fleet assignments (and leaving a plan)
    Route("delivery.status_changed", "plan_routes", statuses=frozenset({"cancelled"})),
    Route("delivery.status_changed", "track", statuses=frozenset({"arriving", "delivered", "failed_attempt"})),
]


def routes_for(event_type: str, data: dict[str, Any]) -> list[Route]:
    """The routes an event takes, judged on the event alone (the caller checks from_store and subscribed)."""
    return [r for r in EVENT_ROUTES if fnmatch.fnmatchcase(event_type, r.pattern)
            and (r.statuses is None or data.get("status") in r.statuses)]
