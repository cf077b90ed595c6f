"""The kinds of work and which events trigger them: data, in one place. Each kind names its handler, lane and policy.

A handler is `handler(runtime, item_id: int) -> None`, idempotent, run by hub/outbox/relay.py after it has
claimed the row. The lane is the RQ queue whose workers run it; the policy (hub/outbox/policies.py) says how
often and how far apart a failing row is tried before it is dead.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass
from typing import Any, Callable


@dataclass(frozen=True)
class Handler:
    func: str  # dotted path of `handler(runtime, item_id: int) -> None`; must be idempotent
    queue: str  # the lane: RQ queue whose workers claim and run these rows
    policy: str
    on_dead: str | None = None  # dotted path of `on_dead(session, item)`: record the end where users look
    # One waiting row per delivery is enough: the handler reads the delivery's whole history when it runs, so an
    # event that finds a row of its delivery still waiting adds none (hub/outbox/rows.py add_outbox_for_event).
    per_delivery: bool = False
    # The handler works in one transaction of our database (no outside call between its writes): the relay runs it
    # in the transaction that records the row's end, so its writes and its end commit together, one commit fewer.
    shares_transaction: bool = False


HANDLERS: dict[str, Handler] = {
    # A stored inbound request (webhook, API submission, pulled order) becomes deliveries and events.
    "ingest": Handler("hub.jobs.ingest.ingest_item", "ingest", "ingest", on_dead="hub.jobs.ingest.mark_dead"),
    # A webhook that carried only an order's id: read the order through the connector, then ingest it.
    "fetch": Handler("hub.jobs.fetch.fetch_item", "ingest", "ingest", on_dead="hub.jobs.fetch.mark_dead"),
    # Status back to the store the order came from (fulfilment, tracking, order notes).
    "writeback": Handler("hub.jobs.writeback.push_to_source", "webhooks", "external"),
    # What the recipient chose for the next attempt, as a note on the store's order (connectors with push_note).
    "store_note": Handler("hub.jobs.writeback.push_note_to_source", "webhooks", "external"),
    # The route's departure, minus a staging margin, to the warehouse as its pick-by time.
    "pick_by": Handler("hub.jobs.writeback.send_pick_by", "webhooks", "external"),
    # Rows written before fan-out moved into the event's own transaction (migration 0008): still honoured.
    "webhooks.fanout": Handler("hub.jobs.webhooks.fan_out", "webhooks", "ingest"),
    # One signed POST per try; the handler schedules its own retries (Deferred), the policy covers crashes.
    "webhooks.deliver": Handler("hub.jobs.webhooks.deliver", "webhooks", "external",
                                on_dead="hub.jobs.webhooks.mark_dead"),
    # Choose own fleet or a carrier (hub/assignment); reads our database, may ask carriers for quotes.
    "assign": Handler("hub.jobs.assign.assign_delivery", "assign", "assign", shares_transaction=True),
    # Send the carrier job to the chosen carrier; rejection or timeout re-assigns to the next candidate.
    "dispatch": Handler("hub.jobs.dispatch.dispatch_to_carrier", "dispatch", "external"),
    # A carrier's proof given as image links: download, store with SHA-256, record (hub/jobs/carrier_media.py).
    "carrier_media": Handler("hub.jobs.carrier_media.fetch_proof", "dispatch", "external"),
    # Withdraw an accepted carrier job (delivery cancelled, or re-assigned by an operator).
    "carrier_cancel": Handler("hub.jobs.dispatch.cancel_at_carrier", "dispatch", "external"),
    # Own-fleet assignment or a cancellation: schedule (debounced) a plan of the depot's day; reads our database.
    "plan_routes": Handler("hub.jobs.plan_routes.on_event", "assign", "ingest"),
    # Plan (or re-plan) one depot's day: scheduled, one pending row per depot and day (dedupe_key).
    "plan_day": Handler("hub.jobs.plan_routes.run_plan_item", "route", "route"),
    # Pull orders from a source that sends no webhooks; the row schedules the next poll itself.
    "poll": Handler("hub.jobs.pull.run_poll_item", "ingest", "periodic"),
    # Tracking (hub/tracking): ETAs, exceptions and recovery after a stop's arrival / completion / failure.
    "track": Handler("hub.jobs.track.on_event", "ingest", "ingest", shares_transaction=True),
    # The analytics read model (hub/analytics): refold the delivery's facts and its route-day's from the ledger.
    "analytics": Handler("hub.jobs.analytics.on_event", "ingest", "ingest", per_delivery=True,
                         shares_transaction=True),
    # Tracking on a driver's position (rows, not events: hub.tracking.pings.enqueue_ping adds this outbox row).
    "track_ping": Handler("hub.jobs.track.on_ping_item", "ingest", "ingest"),
    # Messages to the customer (hub/notify): plan them from an event (reads our database only) ...
    "notify": Handler("hub.jobs.notify.on_event", "ingest", "ingest", shares_transaction=True),
    # ... look again at an "arriving soon" when the ETA is near (scheduled, one waiting row per delivery) ...
    "notify.check": Handler("hub.jobs.notify.on_check", "ingest", "ingest"),
    # ... send one through SMTP or the SMS provider (an outside service: about a day of retries) ...
    "notify.send": Handler("hub.jobs.notify.send", "webhooks", "external", on_dead="hub.jobs.notify.mark_dead"),
    # ... and apply a provider's delivery receipt (it may arrive before our send committed: retried).
    "notify.receipt": Handler("hub.jobs.notify.apply_receipt", "ingest", "ingest"),
}


@dataclass(frozen=True)
class Trigger:
    """Events of type `pattern` get an outbox row of `kind`, when the conditions hold. The conditions only
    spare rows whose job would do nothing; each handler still checks for itself."""

    pattern: str  # fnmatch pattern over event types
    kind: str
    statuses: frozenset[str] | None = None  # delivery.status_changed: only moves to one of these
    from_store: bool = False  # only deliveries that came in through an installed connector
    decided_by: frozenset[str] | None = None  # delivery.recovery: only decisions of these kinds (data.decided_by.kind)
    only_if: Callable[[dict[str, Any]], bool] | None = None  # a test of the event's data
    # Dotted path of `wants(session, tenant_id) -> bool`: only tenants set up for the work get rows (asked once per
    # transaction and tenant). A notify row for a tenant with no channel was a fifth of a delivery's worker rows.
    tenant_wants: str | None = None


def may_change_a_plan(data: dict[str, Any]) -> bool:
    """Whether an assignment can join or leave a route plan: an own-fleet one joins; any attempt after the first may
    take the delivery off a plan. A delivery's first assignment, to a carrier, does neither (most deliveries of a
    hub with carriers), so it gets no planning row to claim and run for nothing."""
    return data.get("capacity") == "own_fleet" or data.get("attempt") != 1


TRIGGERS: list[Trigger] = [
    Trigger("delivery.status_changed", "writeback", from_store=True),
    Trigger("delivery.recovery", "store_note", from_store=True, decided_by=frozenset({"customer"})),
    Trigger("route.planned", "pick_by"),
    Trigger("route.updated", "pick_by"),
    # Subscribers' webhooks are not a route: hub/webhooks/service.py writes their rows in the event's transaction.
    Trigger("delivery.created", "assign"),
    Trigger("delivery.updated", "assign"),  # the job skips updates that change nothing assignment depends on
    Trigger("delivery.status_changed", "carrier_cancel", statuses=frozenset({"cancelled"})),
    Trigger("delivery.assigned", "plan_routes", only_if=may_change_a_plan),
    Trigger("delivery.status_changed", "plan_routes", statuses=frozenset({"cancelled"})),
    Trigger("delivery.status_changed", "track", statuses=frozenset({"arriving", "delivered", "failed_attempt"})),
    # What the figures count: a new delivery, every status move (assignment and planning move it too), re-plans,
    # exceptions, ratings (delivery.rated, from the customer pages), and documents changed after creation.
    *(Trigger(pattern, "analytics") for pattern in ("delivery.created", "delivery.status_changed",
                                                     "delivery.updated", "route.updated",
                                                     "delivery.exception", "delivery.rated")),
    # Customer messages (hub/notify/triggers.py says which event is which message), for tenants with a channel.
    *(Trigger(pattern, "notify", statuses=statuses, tenant_wants="hub.notify.settings.tenant_sends_messages")
      for pattern, statuses in (("delivery.created", None),
                                ("delivery.status_changed",
                                 frozenset({"in_transit", "delivered", "failed_attempt", "rescheduled"})),
                                ("delivery.eta_changed", None))),
]


def triggers_for(event_type: str, data: dict[str, Any]) -> list[Trigger]:
    """The triggers an event fires, judged on the event alone (the caller checks from_store)."""
    decider = (data.get("decided_by") or {}).get("kind") if isinstance(data.get("decided_by"), dict) else None
    return [r for r in TRIGGERS if fnmatch.fnmatchcase(event_type, r.pattern)
            and (r.statuses is None or data.get("status") in r.statuses)
            and (r.decided_by is None or decider in r.decided_by)
            and (r.only_if is None or r.only_if(data))]
