"""The analytics page: the ledger's figures (hub/analytics) by day or week and by depot, carrier, driver,
connector or service level, the driver and carrier scorecards, and every count opening the deliveries it counted."""

from __future__ import annotations

from datetime import timedelta
from functools import partial
from typing import Any
from urllib.parse import urlencode

from flask import abort, render_template, request, url_for
from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.analytics.figures import DIMENSIONS, FIGURES, PERIODS, Drill, Scope, deliveries_behind, figures, scorecards
from hub.console.blueprint import blp
from hub.console.deliveries import parse_day
from hub.console.session import operator, require
from hub.db.models.fleet import Carrier, Depot, Driver
from hub.runtime import get_runtime

DEFAULT_DAYS = 28  # four weeks: enough for weekly figures to mean something
MAX_DAYS = 366
# Figure rows on the page, the newest periods: a quarter by driver per day is ~1,900 rows (3 MB of table), which no
# one reads on a screen; per week, a shorter range or a depot shows them all.
ROWS_SHOWN = 400
BEHIND_LIMIT = 500


def _scope() -> Scope:
    end = parse_day(request.args.get("to"))
    start = parse_day(request.args.get("from") or (end - timedelta(days=DEFAULT_DAYS - 1)).isoformat())
    if start > end or (end - start).days >= MAX_DAYS:
        abort(400, f"pick a range of 1 to {MAX_DAYS} days, 'from' before 'to'")
    return Scope(operator().tenant_id, start, end, request.args.get("depot") or None)


# The dimensions whose keys are ids of the tenant's fleet: the page shows their names (the id as a tooltip).
NAMED = {"depot": Depot, "driver": Driver, "carrier": Carrier}


def names_of(db: Session, tenant_id: str, dimension: str) -> dict[str, str]:
    """{id: name} of the tenant's depots, drivers or carriers; {} for dimensions whose keys are words."""
    model = NAMED.get(dimension)
    if model is None:
        return {}
    return dict(db.execute(select(model.id, model.name).where(model.tenant_id == tenant_id)).all())


def _choice(name: str, allowed: dict[str, Any], default: str) -> str:
    value = request.args.get(name) or default
    if value not in allowed:
        abort(400, f"{name} must be one of {', '.join(allowed)}")
    return value


@blp.route("/analytics")
@require("see")
def analytics() -> str:
    scope = _scope()
    by, period = _choice("by", DIMENSIONS, "tenant"), _choice("period", PERIODS, "week")
    with get_runtime().sessions() as db:
        rows = figures(db, scope, by=by, period=period)
        drivers = scorecards(db, scope, who="driver")
        carriers = scorecards(db, scope, who="carrier")
        names = {who: names_of(db, scope.tenant_id, who) for who in {by, "driver", "carrier"}}
    return render_template("console/analytics.html", scope=scope, by=by, period=period, rows=rows[-ROWS_SHOWN:],
                           all_rows=len(rows),
                           drivers=drivers, carriers=carriers, dimensions=list(DIMENSIONS), periods=list(PERIODS),
                           names=names, drill=partial(_drill, url_for("console.analytics_deliveries")))


def _drill(base: str, args: dict[str, Any]) -> str:
    """The link from a count to the deliveries it counted. Built by hand: 90 days by driver per day is 15,000
    links, and url_for for each was 1.2 s of the page."""
    return f"{base}?{urlencode({k: v for k, v in args.items() if v is not None})}"


@blp.route("/analytics/deliveries")
@require("see")
def analytics_deliveries() -> str:
    """The deliveries behind one number of the page (same filters as the figure)."""
    scope = _scope()
    figure = _choice("figure", FIGURES, "deliveries")
    by = _choice("by", DIMENSIONS, "tenant")
    key = request.args.get("key")  # "" names the rows without a value in this dimension
    first = request.args.get("from_day")
    if first:  # one row of the table: its own period only
        start = parse_day(first)
        scope = Scope(scope.tenant_id, max(scope.start, start), min(scope.end, parse_day(request.args.get("to_day") or first)),
                      scope.depot_id)
    with get_runtime().sessions() as db:
        ids = deliveries_behind(db, scope, Drill(figure=figure, by=by, key=key), limit=BEHIND_LIMIT)
    return render_template("console/analytics_deliveries.html", scope=scope, figure=figure, by=by, key=key, ids=ids,
                           limit=BEHIND_LIMIT)
