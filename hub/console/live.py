"""The live map's server-sent events: GET /console/map/events?depot=&day= streams the re-rendered map (the
SVG and its legend, as JSON `{"html": ...}`) whenever a driver's position or a stop's state changes, through
hub.sse, the same mechanism as the customer's tracking page.

Cheap for the server: every POLL_S the stream reads a small version of the depot's day (a few counts and the
newest ping's id, all from indexed columns) and draws the map again only when that version moved. A signed-in
operator of the depot's tenant only: signed out 401, another tenant's depot 404, and a person removed while
watching gets `event: gone` at the next look.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from flask import Response, current_app, render_template, request, stream_with_context
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hub import sse
from hub.console.blueprint import blp
from hub.console.deliveries import parse_day
from hub.console.plans import positions_since
from hub.console.routes import MAP_FRAGMENT, chosen_depot, map_context
from hub.console.session import operator, require
from hub.db.models import utcnow
from hub.db.models.accounts import OperatorUser
from hub.db.models.execution import DriverPing
from hub.db.models.fleet import Depot, Driver
from hub.db.models.planning import RoutePlanRow, RouteStopRow
from hub.runtime import get_runtime

# How often a stream looks for news: phones report about every 30 s and a stop changes on the minute scale,
# so two seconds feels instant while an open map costs the database a few index reads per look.
POLL_S = 2.0
# A stream ends after this and the browser's EventSource reconnects: no server thread is held for ever.
STREAM_S = 55


def map_version(db: Session, tenant_id: str, depot_id: str, day: date, now: datetime) -> tuple[Any, ...]:
    """What the map shows changes only when this does: the day's plan versions, its stops' states (arrived,
    departed, pinned), the newest position of a depot's driver, and the minute (a position turns stale)."""
    plans = db.execute(select(func.count(), func.max(RoutePlanRow.version)).where(
        RoutePlanRow.tenant_id == tenant_id, RoutePlanRow.depot_id == depot_id, RoutePlanRow.plan_date == day)).one()
    stops = db.execute(
        select(RouteStopRow.state, func.count(), func.count(RouteStopRow.arrived_at),
               func.count(RouteStopRow.departed_at), func.count(RouteStopRow.lock_vehicle_id))
        .join(RoutePlanRow, RouteStopRow.plan_id == RoutePlanRow.id)
        .where(RoutePlanRow.tenant_id == tenant_id, RoutePlanRow.depot_id == depot_id, RoutePlanRow.plan_date == day)
        .group_by(RouteStopRow.state).order_by(RouteStopRow.state)).all()
    crew = select(Driver.id).where(Driver.depot_id == depot_id)
    drivers = db.execute(select(func.count()).select_from(crew.subquery())).scalar_one()
    newest = db.execute(select(func.max(DriverPing.id)).where(  # the index on (tenant, driver, recorded_at)
        DriverPing.tenant_id == tenant_id, DriverPing.driver_id.in_(crew),
        DriverPing.recorded_at >= positions_since(day, now))).scalar_one()
    return tuple(plans), tuple(tuple(row) for row in stops), drivers, newest, now.replace(second=0, microsecond=0)


@dataclass
class MapWatch:
    """One open map: `look()` answers the map to show now, or None once the person may no longer see it."""

    user_id: str
    tenant_id: str
    depot_id: str | None
    day: date
    version: tuple[Any, ...] | None = None
    payload: str = field(default="", repr=False)

    def look(self) -> str | None:
        with get_runtime().sessions() as db:
            user = db.get(OperatorUser, self.user_id)
            if user is None or user.tenant_id != self.tenant_id:
                return None
            depot = db.get(Depot, self.depot_id) if self.depot_id else None
            now = utcnow()
            version = map_version(db, self.tenant_id, depot.id, self.day, now) if depot is not None else ()
            if version != self.version or not self.payload:
                html = render_template(MAP_FRAGMENT, **map_context(db, self.tenant_id, depot, self.day))
                self.payload, self.version = json.dumps({"html": html}), version
        return self.payload


def stream_seconds() -> float:
    return float(current_app.config.get("HUB_CONSOLE_STREAM_S", STREAM_S))


@blp.route("/map/events")
@require("see", sign_in_page=False)
def map_events() -> Response:
    day = parse_day(request.values.get("day"))
    with get_runtime().sessions() as db:
        depot = chosen_depot(db)  # another tenant's depot: 404 here, before any stream starts
        watch = MapWatch(operator().id, operator().tenant_id, depot.id if depot is not None else None, day)
    return sse.response(stream_with_context(sse.watch(watch.look, every_s=POLL_S, for_s=stream_seconds())))
