"""Analytics for operators and BI tools: figures by day or week per tenant, depot, carrier, driver, connector
and service level; scorecards; the failed-delivery heatmap; dwell; route profitability; planned against
actual. Every table answers JSON or, with `format=csv`, CSV with the row schema's fields as columns; every
row links to the ids of the deliveries it counts (`deliveries_url`, answered by /analytics/deliveries).
"""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta
from typing import Any, Callable
from urllib.parse import urlencode

from flask import Response
from marshmallow import Schema

from hub.analytics import figures as fig
from hub.analytics.feed import tenant_settings
from hub.analytics.heatmap import deliveries_in_cell, heatmap
from hub.api import analytics_schemas as s
from hub.api.auth import current, require_role
from hub.api.declare import Blueprint
from hub.api.errors import ApiError
from hub.runtime import get_runtime

blp = Blueprint("analytics", __name__, url_prefix="/api/v1/analytics",
                description="Figures from the ledger: on time, first attempt, cost, CSAT, heatmap, dwell, routes; "
                "every table also as CSV with format=csv")
ROLES = ("admin", "integration")  # operators, and the BI tools an integration key feeds
PREFIX = "/api/v1/analytics"


# Every table answers JSON as documented by its row schema, or the same rows as CSV (format=csv).
CSV_TOO = {"responses": {200: {"content": {"text/csv": {"schema": {"type": "string"}}}}}}


def _scope(args: dict[str, Any]) -> fig.Scope:
    """The tenant's days from..to; a range that ends before it starts, or spans more than MAX_SPAN_DAYS, is 400
    bad_range (a rule between two fields that the query's schema cannot state)."""
    start, end = args["from_"], args["to"]
    if end < start:
        raise ApiError(400, "bad_range", f"to ({end}) is before from ({start})",
                       [{"path": "query.to", "message": "must not be before from"}])
    if end - start > timedelta(days=s.MAX_SPAN_DAYS):
        raise ApiError(400, "bad_range", f"from {start} to {end} spans more than {s.MAX_SPAN_DAYS} days",
                       [{"path": "query.to", "message": f"at most {s.MAX_SPAN_DAYS} days after from"}])
    return fig.Scope(current().tenant_id, start, end, args.get("depot"))


def deliveries_url(start: date, end: date, depot: str | None, **params: Any) -> str:
    query = {"from": start.isoformat(), "to": end.isoformat(), **({"depot": depot} if depot else {}),
             **{k: ("" if v is None else v) for k, v in params.items()}}
    return f"{PREFIX}/deliveries?{urlencode(query)}"


def _answer(args: dict[str, Any], table: str, row: type[Schema], items: list[dict[str, Any]]) -> Any:
    if args["format"] == "csv":
        columns = list(row().fields)
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=columns, extrasaction="ignore", lineterminator="\n")
        writer.writeheader()
        writer.writerows({c: ("" if r.get(c) is None else r.get(c)) for c in columns} for r in items)
        name = f"analytics-{table}-{args['from_'].isoformat()}-{args['to'].isoformat()}.csv"
        return Response(out.getvalue(), mimetype="text/csv",
                        headers={"Content-Disposition": f'attachment; filename="{name}"'})
    return {"items": items, "from": args["from_"].isoformat(), "to": args["to"].isoformat(),
            "depot": args.get("depot")}


def _read(compute: Callable[[Any, fig.Scope], list[dict[str, Any]]], args: dict[str, Any]) -> list[dict[str, Any]]:
    with get_runtime().sessions() as session:
        return compute(session, _scope(args))


@blp.route("/figures", methods=["GET"])
@blp.arguments(s.FiguresQuery, location="query")
@blp.response(200, s.page_schema(s.FigureRow, "AnalyticsFigures"))
@blp.doc(**CSV_TOO)
@blp.doc(summary="On-time rate, first-attempt rate, cost per delivery, CSAT, exceptions per period and group",
         description="by: tenant | depot | carrier | driver | connector | service_level; period: day | week. "
         "deliveries_url lists the row's deliveries; change its figure= to on_time, late, attempted, "
         "first_attempt_ok, first_attempt_failed, failed, costed, rated, satisfied or exceptions.")
@require_role(*ROLES)
def figures(args: dict[str, Any]) -> Any:
    rows = _read(lambda session, scope: fig.figures(session, scope, by=args["by"], period=args["period"]), args)
    for row in rows:
        row["deliveries_url"] = deliveries_url(date.fromisoformat(row["period_start"]),
                                               date.fromisoformat(row["period_end"]), args.get("depot"),
                                               figure="deliveries", by=row["by"], key=row["key"])
    return _answer(args, f"figures-{args['by']}-{args['period']}", s.FigureRow, rows)


def _scorecards(args: dict[str, Any], who: str) -> Any:
    rows = _read(lambda session, scope: fig.scorecards(session, scope, who=who), args)
    for row in rows:
        row["deliveries_url"] = deliveries_url(args["from_"], args["to"], args.get("depot"), figure="deliveries",
                                               by=who, key=row["key"])
    return _answer(args, f"scorecards-{who}s", s.ScorecardRow, rows)


@blp.route("/scorecards/drivers", methods=["GET"])
@blp.arguments(s.RangeQuery, location="query")
@blp.response(200, s.page_schema(s.ScorecardRow, "AnalyticsDriverScorecards"))
@blp.doc(**CSV_TOO)
@blp.doc(summary="Driver scorecards: on time, first attempt, CSAT, stops per hour, exceptions")
@require_role(*ROLES)
def driver_scorecards(args: dict[str, Any]) -> Any:
    return _scorecards(args, "driver")


@blp.route("/scorecards/carriers", methods=["GET"])
@blp.arguments(s.RangeQuery, location="query")
@blp.response(200, s.page_schema(s.ScorecardRow, "AnalyticsCarrierScorecards"))
@blp.doc(**CSV_TOO)
@blp.doc(summary="Carrier scorecards: on time, first attempt, CSAT, cost per delivery, exceptions")
@require_role(*ROLES)
def carrier_scorecards(args: dict[str, Any]) -> Any:
    return _scorecards(args, "carrier")


@blp.route("/heatmap", methods=["GET"])
@blp.arguments(s.HeatmapQuery, location="query")
@blp.response(200, s.page_schema(s.HeatmapRow, "AnalyticsHeatmap"))
@blp.doc(**CSV_TOO)
@blp.doc(summary="Failed deliveries per H3 hexagon and failure reason")
@require_role(*ROLES)
def failed_heatmap(args: dict[str, Any]) -> Any:
    with get_runtime().sessions() as session:
        resolution = args.get("resolution")
        if resolution is None:
            resolution = tenant_settings(session, current().tenant_id).h3_resolution
        rows = heatmap(session, _scope(args), resolution)
    for row in rows:
        row["deliveries_url"] = deliveries_url(args["from_"], args["to"], args.get("depot"), figure="failed",
                                               cell=row["cell"], reason=row["reason"])
    return _answer(args, "heatmap", s.HeatmapRow, rows)


@blp.route("/dwell", methods=["GET"])
@blp.arguments(s.RangeQuery, location="query")
@blp.response(200, s.page_schema(s.DwellRow, "AnalyticsDwell"))
@blp.doc(**CSV_TOO)
@blp.doc(summary="Dwell time at stops (arrival to completion) by stop type and postal area")
@require_role(*ROLES)
def dwell(args: dict[str, Any]) -> Any:
    rows = _read(fig.dwell, args)
    for row in rows:
        row["deliveries_url"] = deliveries_url(args["from_"], args["to"], args.get("depot"), figure="dwell",
                                               stop_type=row["stop_type"], postal_area=row["postal_area"])
    return _answer(args, "dwell", s.DwellRow, rows)


def _route_table(args: dict[str, Any], compute: Any, table: str, row_schema: type[Schema]) -> Any:
    rows = _read(compute, args)
    for row in rows:
        day = date.fromisoformat(row["day"])
        row["deliveries_url"] = deliveries_url(day, day, None, figure="deliveries", route_key=row["route_key"])
    return _answer(args, table, row_schema, rows)


@blp.route("/profitability", methods=["GET"])
@blp.arguments(s.RangeQuery, location="query")
@blp.response(200, s.page_schema(s.ProfitRow, "AnalyticsProfitability"))
@blp.doc(**CSV_TOO)
@blp.doc(summary="Route profitability: delivery fees of delivered stops minus the route's cost, per route-day")
@require_role(*ROLES)
def profitability(args: dict[str, Any]) -> Any:
    return _route_table(args, fig.profitability, "profitability", s.ProfitRow)


@blp.route("/planned-vs-actual", methods=["GET"])
@blp.arguments(s.RangeQuery, location="query")
@blp.response(200, s.page_schema(s.PlannedRow, "AnalyticsPlannedVsActual"))
@blp.doc(**CSV_TOO)
@blp.doc(summary="Planned against actual distance, duration, stop order and ETA, per route-day")
@require_role(*ROLES)
def planned_vs_actual(args: dict[str, Any]) -> Any:
    return _route_table(args, fig.planned_vs_actual, "planned-vs-actual", s.PlannedRow)


@blp.route("/deliveries", methods=["GET"])
@blp.arguments(s.DeliveriesQuery, location="query")
@blp.response(200, s.DeliveriesPage)
@blp.doc(**CSV_TOO)
@blp.doc(summary="The deliveries behind a figure (the ids it counted), in id order",
         description="Takes the filters of the row's deliveries_url. Pass next_after back as after for more.")
@require_role(*ROLES)
def deliveries(args: dict[str, Any]) -> Any:
    scope, limit = _scope(args), args["limit"]
    with get_runtime().sessions() as session:
        if args.get("cell"):
            found = [i for i in deliveries_in_cell(session, scope, args["cell"], args.get("reason") or None)
                     if not args.get("after") or i > args["after"]]
            ids = found[:limit + 1]
        else:
            drill = fig.Drill(figure=args["figure"], by=args.get("by"), key=args.get("key"),
                              route_key=args.get("route_key"), stop_type=args.get("stop_type"),
                              postal_area=args.get("postal_area"), reason=args.get("reason"))
            ids = fig.deliveries_behind(session, scope, drill, after=args.get("after"), limit=limit + 1)
    page = ids[:limit]
    if args["format"] == "csv":
        return _answer(args, f"deliveries-{args['figure']}", s.DeliveryIdRow, [{"delivery_id": i} for i in page])
    return {"delivery_ids": page, "count": len(page), "next_after": page[-1] if len(ids) > limit else None,
            "from": args["from_"].isoformat(), "to": args["to"].isoformat(), "figure": args["figure"]}
