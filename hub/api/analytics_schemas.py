"""The analytics API's declared shapes: the query every table takes, and one row schema per table. The CSV
export writes the row schema's fields, in this order, as its columns (hub/api/analytics.py)."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from hub.analytics.figures import DIMENSIONS, FIGURES

# A year and a bit: any figure over a longer span is a question for the rebuild-and-export path, not a page.
MAX_SPAN_DAYS = 400
# Ids per page of a figure's deliveries.
MAX_IDS = 10_000
# A filter value: an id, a code or a postal area. A NUL is refused for every query string before any view
# (hub.api.requests.register_nul_guard), and the document says so on every free-text field.
TOKEN = validate.Length(max=200)


def token(description: str = "") -> fields.String:
    return fields.String(validate=TOKEN, metadata={"description": description} if description else {})


class RangeQuery(Schema):
    from_ = fields.Date(required=True, data_key="from", metadata={"description": "First day counted (YYYY-MM-DD, UTC)"})
    to = fields.Date(required=True, metadata={"description": "Last day counted, inclusive: not before from, at most "
                                              f"{MAX_SPAN_DAYS} days after it (400 bad_range otherwise)"})
    depot = fields.String(validate=validate.Length(min=1, max=40),
                          metadata={"description": "Only this depot"})
    format = fields.String(load_default="json", validate=validate.OneOf(["json", "csv"]),
                           metadata={"description": "csv: the same rows as text/csv"})


class FiguresQuery(RangeQuery):
    by = fields.String(load_default="tenant", validate=validate.OneOf(list(DIMENSIONS)))
    period = fields.String(load_default="day", validate=validate.OneOf(["day", "week"]))


class HeatmapQuery(RangeQuery):
    resolution = fields.Integer(validate=validate.Range(min=0, max=15),
                                metadata={"description": "H3 resolution (default: the tenant's h3_resolution)"})


class DeliveriesQuery(RangeQuery):
    figure = fields.String(load_default="deliveries", validate=validate.OneOf(list(FIGURES)))
    by = fields.String(validate=validate.OneOf(list(DIMENSIONS)))
    key = token("The group's key in `by` (a depot id, a carrier id, ...)")
    route_key = token("A route-day's route_key")
    stop_type = token("business or residential")
    postal_area = token("A postal area; empty: stops without a postal code")
    reason = token("Failure reason code")
    cell = token("H3 cell of the heatmap (failed deliveries in it; none for a string that names no cell)")
    after = token("Continue after this delivery id (next_after of a page)")
    limit = fields.Integer(load_default=1000, validate=validate.Range(min=1, max=MAX_IDS))


def _rates() -> dict[str, fields.Field]:
    return {
        "deliveries": fields.Integer(), "delivered": fields.Integer(),
        "on_time_rate": fields.Float(allow_none=True), "on_time": fields.Integer(), "on_time_counted": fields.Integer(),
        "first_attempt_rate": fields.Float(allow_none=True), "first_attempt_ok": fields.Integer(),
        "attempted": fields.Integer(), "failed": fields.Integer(),
        "cost_per_delivery": fields.Float(allow_none=True), "cost_total": fields.Float(allow_none=True),
        "costed": fields.Integer(), "csat": fields.Float(allow_none=True), "rating_avg": fields.Float(allow_none=True),
        "rated": fields.Integer(), "exceptions": fields.Integer(), "deliveries_url": fields.String(),
    }


FigureRow = Schema.from_dict({
    "period": fields.String(), "period_start": fields.String(), "period_end": fields.String(),
    "by": fields.String(), "key": fields.String(allow_none=True), **_rates()}, name="AnalyticsFigureRow")
ScorecardRow = Schema.from_dict({"who": fields.String(), "key": fields.String(), **_rates(),
                                 "stops_per_hour": fields.Float(allow_none=True)}, name="AnalyticsScorecardRow")
HeatmapRow = Schema.from_dict({
    "cell": fields.String(), "resolution": fields.Integer(), "lat": fields.Float(), "lng": fields.Float(),
    "reason": fields.String(), "failed": fields.Integer(), "deliveries_url": fields.String()}, name="AnalyticsHeatmapRow")
DwellRow = Schema.from_dict({
    "stop_type": fields.String(), "postal_area": fields.String(allow_none=True), "stops": fields.Integer(),
    "dwell_avg_s": fields.Float(allow_none=True), "dwell_min_s": fields.Float(allow_none=True),
    "dwell_max_s": fields.Float(allow_none=True), "deliveries_url": fields.String()}, name="AnalyticsDwellRow")
_ROUTE = {"route_key": fields.String(), "day": fields.String(), "depot_id": fields.String(),
          "vehicle_id": fields.String(), "driver_id": fields.String(allow_none=True), "stops": fields.Integer()}
ProfitRow = Schema.from_dict({**_ROUTE, "fees": fields.Float(allow_none=True), "cost": fields.Float(allow_none=True),
                              "profit": fields.Float(allow_none=True), "deliveries_url": fields.String()},
                             name="AnalyticsProfitRow")
PlannedRow = Schema.from_dict({
    **_ROUTE, "stops_done": fields.Integer(), "planned_distance_m": fields.Integer(allow_none=True),
    "actual_distance_m": fields.Integer(allow_none=True), "planned_duration_s": fields.Integer(allow_none=True),
    "actual_duration_s": fields.Integer(allow_none=True), "stops_in_planned_order": fields.Integer(),
    "planned_order_rate": fields.Float(allow_none=True), "eta_abs_delta_s": fields.Float(allow_none=True),
    "deliveries_url": fields.String()}, name="AnalyticsPlannedRow")
DeliveryIdRow = Schema.from_dict({"delivery_id": fields.String()}, name="AnalyticsDeliveryIdRow")


def page_schema(row: type[Schema], name: str) -> type[Schema]:
    return Schema.from_dict({"items": fields.List(fields.Nested(row)), "from": fields.String(),
                             "to": fields.String(), "depot": fields.String(allow_none=True)}, name=name)


DeliveriesPage = Schema.from_dict({
    "delivery_ids": fields.List(fields.String()), "count": fields.Integer(),
    "next_after": fields.String(allow_none=True), "from": fields.String(), "to": fields.String(),
    "figure": fields.String()}, name="AnalyticsDeliveriesPage")
