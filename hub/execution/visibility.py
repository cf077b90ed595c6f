"""Which deliveries a driver or a carrier key may read, and which of their fields.

Admin and integration keys read every delivery of their tenant. The people who carry a delivery out read
only what is theirs, and only what their job needs (docs/security.md, "Access and secrets"):

- a driver: the deliveries on its routes, i.e. the stops of active plans (any day: today's route, the
  days it worked, a route planned ahead) that name the driver or, naming no driver, its vehicle (the rule of
  `hub.execution.route.planned_stops`); the deliveries that canonical route events gave it (the route's
  other source); and every delivery it acted on itself (an event whose actor is the driver), so a stop it
  worked stays readable after a re-plan moved it away;
- a carrier: the deliveries dispatched to it, i.e. whose assignment row offered it the job (`dispatched`)
  or that it accepted (`accepted`). An offer it rejected or let time out is no longer its business.

Everything else is 404 to them, the same answer as an id that does not exist.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, and_, or_, select
from sqlalchemy.orm import Session

from hub.db.models import Delivery, DeliveryEvent
from hub.db.models.fleet import Assignment, Driver
from hub.db.models.planning import RoutePlanRow, RouteStopRow
from hub.execution.route import ROUTE_EVENTS

# Roles that read deliveries only through their own work (the others read the whole tenant).
SCOPED_ROLES = ("driver", "carrier")
# An assignment in these states means the job is, or is being offered to, this carrier.
CARRIER_STATES = ("dispatched", "accepted")
# What a driver needs at the door: where, when, what, what proof; not the store's ids, prices or tags.
DRIVER_FIELDS = ("id", "schema_version", "status", "service_level", "priority_tier", "promised_window", "pickup",
                 "dropoff", "parcels", "requirements", "notes", "created_at", "updated_at", "version")
# A carrier gets what its job (schemas/carrier_job.v1.json) carries: the driver's fields and the declared value.
CARRIER_FIELDS = (*DRIVER_FIELDS, "declared_value")
# The events a driver or carrier sees of a delivery's history: its progress, not who else decided what.
SHARED_EVENT_TYPES = ("delivery.status_changed", "delivery.handoff", "delivery.pod_captured", "delivery.eta_changed")


def visible_ids(tenant_id: str, role: str, subject_id: str | None) -> Select[Any] | None:
    """A query of the delivery ids this caller may read; None when the role reads the whole tenant."""
    if role not in SCOPED_ROLES:
        return None
    if role == "carrier":
        return select(Assignment.delivery_id).where(
            Assignment.tenant_id == tenant_id, Assignment.carrier_id == (subject_id or ""),
            Assignment.state.in_(CARRIER_STATES))
    driver_vehicle = select(Driver.vehicle_id).where(Driver.id == (subject_id or ""), Driver.tenant_id == tenant_id,
                                                     Driver.vehicle_id.is_not(None)).scalar_subquery()
    on_plans = select(RouteStopRow.delivery_id).join(RoutePlanRow, RouteStopRow.plan_id == RoutePlanRow.id).where(
        RoutePlanRow.tenant_id == tenant_id, RoutePlanRow.status == "active",
        or_(RouteStopRow.driver_id == (subject_id or ""),
            and_(RouteStopRow.driver_id.is_(None), RouteStopRow.vehicle_id == driver_vehicle)))
    by_events = select(DeliveryEvent.delivery_id).where(
        DeliveryEvent.tenant_id == tenant_id,
        or_(and_(DeliveryEvent.actor["kind"].as_string() == "driver",
                 DeliveryEvent.actor["id"].as_string() == (subject_id or "")),
            and_(DeliveryEvent.type.in_(ROUTE_EVENTS),
                 DeliveryEvent.data["driver_id"].as_string() == (subject_id or ""))))
    return on_plans.union(by_events)


def may_read(session: Session, delivery: Delivery, tenant_id: str, role: str, subject_id: str | None) -> bool:
    """True when this caller may read this delivery (its tenant's, and for a driver or carrier, its own work)."""
    if delivery.tenant_id != tenant_id:
        return False
    ids = visible_ids(tenant_id, role, subject_id)
    if ids is None:
        return True
    return session.execute(select(Delivery.id).where(Delivery.id == delivery.id, Delivery.id.in_(ids))).first() is not None


def shown(document: dict[str, Any], role: str) -> dict[str, Any]:
    """The delivery as this role sees it: the whole document, or only the fields a driver's or carrier's job needs."""
    fields = {"driver": DRIVER_FIELDS, "carrier": CARRIER_FIELDS}.get(role)
    if fields is None:
        return document
    return {k: document[k] for k in fields if k in document}


def shown_events(events: list[dict[str, Any]], role: str, subject_id: str | None) -> list[dict[str, Any]]:
    """A delivery's history as this role sees it: a driver or carrier gets the progress events only, with
    other parties named by kind alone, and without the hash chain (which a partial list cannot verify)."""
    if role not in SCOPED_ROLES:
        return events
    kept = []
    for event in events:
        if event.get("type") not in SHARED_EVENT_TYPES:
            continue
        actor = event.get("actor") or {}
        own = actor.get("kind") == role and actor.get("id") == subject_id
        kept.append({k: v for k, v in event.items() if k not in ("prev_hash", "hash")}
                    | {"actor": actor if own else {"kind": actor.get("kind")}})
    return kept
