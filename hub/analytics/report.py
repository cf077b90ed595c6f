"""`hub report`: the figures of a date range as one HTML page with charts, plus each chart as a PNG and each
table as CSV, in a folder. Self-contained: the page names its pictures by relative path and loads nothing."""

from __future__ import annotations

import csv
import html
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from hub.analytics import charts
from hub.analytics import figures as fig
from hub.analytics.feed import tenant_settings
from hub.analytics.heatmap import heatmap


@dataclass(frozen=True)
class Report:
    html: Path
    pngs: list[Path]
    csvs: list[Path]


def _table(rows: list[dict[str, Any]], columns: list[str]) -> str:
    if not rows:
        return "<p>No rows in this range.</p>"
    head = "".join(f"<th scope='col'>{html.escape(c)}</th>" for c in columns)
    body = "".join("<tr>" + "".join(f"<td>{html.escape('' if r.get(c) is None else str(r.get(c)))}</td>"
                                    for c in columns) + "</tr>" for r in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _csv(path: Path, rows: list[dict[str, Any]]) -> Path:
    columns = list(rows[0]) if rows else []
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.DictWriter(out, fieldnames=columns, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    return path


STYLE = ("body{font-family:system-ui,sans-serif;margin:2rem;max-width:70rem;color:#222}"
         "table{border-collapse:collapse;font-size:.85rem;margin:1rem 0}th,td{border:1px solid #ccc;"
         "padding:.25rem .5rem;text-align:right}th{background:#f3f3f3}img{max-width:100%}")


def write_report(session: Session, scope: fig.Scope, tenant_name: str, out: Path) -> Report:
    out.mkdir(parents=True, exist_ok=True)
    daily = fig.figures(session, scope, by="tenant", period="day")
    weekly = fig.figures(session, scope, by="tenant", period="week")
    drivers = fig.scorecards(session, scope, who="driver")
    carriers = fig.scorecards(session, scope, who="carrier")
    hexes = heatmap(session, scope, tenant_settings(session, scope.tenant_id).h3_resolution)
    dwell = fig.dwell(session, scope)
    profit = fig.profitability(session, scope)
    planned = fig.planned_vs_actual(session, scope)
    profit_by_day: dict[str, float] = defaultdict(float)
    for row in profit:
        profit_by_day[row["day"]] += row["profit"] or 0.0
    pngs = [
        charts.rates_chart(daily, out / "rates.png"),
        charts.bars_chart([r["period_start"] for r in daily], [r["cost_per_delivery"] for r in daily],
                          "Cost per delivery, per day", "cost", out / "cost_per_delivery.png"),
        charts.heatmap_chart(hexes, out / "failed_heatmap.png"),
        charts.bars_chart([str(r["postal_area"]) for r in dwell], [r["dwell_avg_s"] / 60 for r in dwell],
                          "Mean dwell at stops by postal area", "minutes", out / "dwell.png"),
        charts.bars_chart(list(profit_by_day), list(profit_by_day.values()), "Route profit (fees minus cost), per day",
                          "profit", out / "route_profit.png"),
        charts.planned_actual_chart(planned, out / "planned_vs_actual.png"),
    ]
    tables = {"daily": daily, "weekly": weekly, "drivers": drivers, "carriers": carriers, "heatmap": hexes,
              "dwell": dwell, "profitability": profit, "planned_vs_actual": planned}
    csvs = [_csv(out / f"{name}.csv", rows) for name, rows in tables.items()]
    rate_cols = ["deliveries", "delivered", "on_time_rate", "first_attempt_rate", "cost_per_delivery", "csat",
                 "rating_avg", "failed", "exceptions"]
    depot = f", depot {html.escape(scope.depot_id)}" if scope.depot_id else ""
    sections = [
        ("Per week", _table(weekly, ["period_start", *rate_cols])),
        ("Per day", "<img src='rates.png' alt='On-time, first-attempt and CSAT rates per day'>"
                    "<img src='cost_per_delivery.png' alt='Cost per delivery per day'>"
                    + _table(daily, ["period_start", *rate_cols])),
        ("Driver scorecards", _table(drivers, ["key", "deliveries", "on_time_rate", "first_attempt_rate", "csat",
                                               "stops_per_hour", "exceptions"])),
        ("Carrier scorecards", _table(carriers, ["key", "deliveries", "on_time_rate", "first_attempt_rate", "csat",
                                                 "cost_per_delivery", "exceptions"])),
        ("Failed deliveries", "<img src='failed_heatmap.png' alt='Failed deliveries per hexagon'>"
                              + _table(hexes, ["cell", "reason", "failed"])),
        ("Dwell at stops", "<img src='dwell.png' alt='Mean dwell per postal area'>"
                           + _table(dwell, ["stop_type", "postal_area", "stops", "dwell_avg_s"])),
        ("Route profitability", "<img src='route_profit.png' alt='Route profit per day'>"
                                + _table(profit, ["day", "vehicle_id", "driver_id", "stops", "fees", "cost", "profit"])),
        ("Planned against actual", "<img src='planned_vs_actual.png' alt='Planned against actual route duration'>"
                                   + _table(planned, ["day", "vehicle_id", "planned_distance_m", "actual_distance_m",
                                                      "planned_duration_s", "actual_duration_s", "planned_order_rate",
                                                      "eta_abs_delta_s"])),
    ]
    title = (f"Delivery report: {html.escape(tenant_name)}, {scope.start.isoformat()} to "
             f"{scope.end.isoformat()}{depot}")
    body = "".join(f"<section><h2>{name}</h2>{content}</section>" for name, content in sections)
    page = (f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>{title}</title>"
            f"<style>{STYLE}</style></head><body><main><h1>{title}</h1>{body}</main></body></html>")
    path = out / "index.html"
    path.write_text(page, encoding="utf-8")
    return Report(path, pngs, csvs)
