"""The figures against values the test works out itself from the raw events of a known history
(tests/analytics/history.py): read the events, apply the definitions, compare with what the API answers."""

from __future__ import annotations

import math
from collections import defaultdict
from datetime import datetime
from typing import Any

import pytest
from sqlalchemy import select

from hub.db.models import DeliveryEvent
from tests.analytics import history
from tests.analytics.history import PINGS, at

RANGE = {"from": "2030-03-01", "to": "2030-03-31"}


@pytest.fixture
def built(clean, client, tenant, run_jobs) -> dict[str, str]:
    return history.build(clean, client, tenant, run_jobs)


def raw_events(runtime, tenant_id: str) -> dict[str, list[DeliveryEvent]]:
    out: dict[str, list[DeliveryEvent]] = defaultdict(list)
    with runtime.sessions() as session:
        for event in session.execute(select(DeliveryEvent).where(DeliveryEvent.tenant_id == tenant_id)
                                     .order_by(DeliveryEvent.delivery_id, DeliveryEvent.sequence)).scalars():
            session.expunge(event)
            out[event.delivery_id].append(event)
    return out


def expected_per_delivery(events: list[DeliveryEvent]) -> dict[str, Any]:
    """The definitions, applied by hand: statuses, attempts, window from the created document, rating."""
    moves = [(e.data["status"], e.occurred_at, e.data.get("reason_code")) for e in events
             if e.type == "delivery.status_changed"]
    doc = next(e.data["delivery"] for e in events if e.type == "delivery.created")
    start = datetime.fromisoformat(doc["promised_window"]["start"])
    end = datetime.fromisoformat(doc["promised_window"]["end"])
    attempts = [m for m in moves if m[0] in ("delivered", "failed_attempt")]
    delivered = [m[1] for m in moves if m[0] == "delivered"]
    ratings = [e.data["rating"] for e in events if e.type == "delivery.rated"]
    assigned = [e.data for e in events if e.type == "delivery.assigned"]
    return {
        "day": start.date().isoformat(),
        "delivered": bool(delivered),
        "on_time": (start <= delivered[0] <= end) if delivered else None,
        "first_ok": attempts[0][0] == "delivered" if attempts else None,
        "failed": any(m[0] == "failed_attempt" for m in attempts),
        "rating": ratings[-1] if ratings else None,
        "exceptions": sum(1 for e in events if e.type == "delivery.exception"),
        "carrier": assigned[-1].get("carrier_id") if assigned else None,
        "depot": assigned[-1].get("depot_id") if assigned else None,
    }


def rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def test_daily_figures_match_the_raw_events(built, clean, client, tenant):
    per = {d: expected_per_delivery(e) for d, e in raw_events(clean, tenant["id"]).items()}
    by_day: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for item in per.values():
        by_day[item["day"]].append(item)
    answer = client.get("/api/v1/analytics/figures", query_string={**RANGE, "period": "day"},
                        headers=tenant["headers"])
    assert answer.status_code == 200, answer.json
    rows = {r["period_start"]: r for r in answer.json["items"]}
    assert set(rows) == set(by_day) == {"2030-03-11", "2030-03-12", "2030-03-18"}
    for day, items in by_day.items():
        row = rows[day]
        on_time = [i["on_time"] for i in items if i["on_time"] is not None]
        first = [i["first_ok"] for i in items if i["first_ok"] is not None]
        rated = [i["rating"] for i in items if i["rating"] is not None]
        assert row["deliveries"] == len(items)
        assert row["delivered"] == sum(i["delivered"] for i in items)
        assert row["on_time_rate"] == rate(sum(on_time), len(on_time))
        assert row["first_attempt_rate"] == rate(sum(first), len(first))
        assert row["failed"] == sum(i["failed"] for i in items)
        assert row["csat"] == rate(sum(1 for r in rated if r >= 4), len(rated))
        assert row["exceptions"] == sum(i["exceptions"] for i in items)
    # The history's own story, in plain numbers: A on time, B late, C on time at its second attempt.
    assert rows["2030-03-11"]["on_time_rate"] == round(2 / 3, 4)
    assert rows["2030-03-11"]["first_attempt_rate"] == round(2 / 3, 4)
    assert rows["2030-03-12"]["csat"] == 1.0 and rows["2030-03-11"]["csat"] == 0.5


def test_weekly_figures_by_carrier_and_cost_per_delivery(built, clean, client, tenant):
    answer = client.get("/api/v1/analytics/figures", query_string={**RANGE, "period": "week", "by": "carrier"},
                        headers=tenant["headers"]).json["items"]
    carrier_rows = [r for r in answer if r["key"] == "K1"]
    assert len(carrier_rows) == 1 and carrier_rows[0]["period_start"] == "2030-03-11"
    k1 = carrier_rows[0]
    assert k1["deliveries"] == 2 and k1["cost_per_delivery"] == round((7.50 + 8.00) / 2, 4)
    assert k1["first_attempt_rate"] == 0.5 and k1["on_time_rate"] == 1.0  # E failed: no on-time verdict


def haversine_m(a: tuple[float, float], b: tuple[float, float]) -> float:
    # Written again here (not imported): the spherical law of haversines with the mean Earth radius.
    p1, p2 = math.radians(a[0]), math.radians(b[0])
    dp, dl = p2 - p1, math.radians(b[1] - a[1])
    return 2 * 6_371_000.0 * math.asin(math.sqrt(math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2))


def test_route_cost_profitability_and_planned_vs_actual(built, clean, client, tenant):
    driven_m = sum(haversine_m(PINGS[i - 1][:2], PINGS[i][:2]) for i in range(1, len(PINGS)))
    hours = (at(11, "14:40") - at(11, "09:00")).total_seconds() / 3600
    cost = hours * (20 + 5) + driven_m / 1000 * 0.5  # tenant's driver cost + the van's hourly and per-km cost
    plan = client.get("/api/v1/analytics/planned-vs-actual", query_string=RANGE, headers=tenant["headers"]).json
    route = {r["day"]: r for r in plan["items"]}["2030-03-11"]
    assert route["planned_distance_m"] == 20000 and route["planned_duration_s"] == 7200
    assert route["actual_duration_s"] == hours * 3600
    assert route["actual_distance_m"] == round(driven_m)
    assert route["stops"] == 3 and route["stops_done"] == 3
    assert route["stops_in_planned_order"] == 1  # planned A, C, B; done A, B, C: only A kept its place
    # Last arrival against planned ETA: A 10:30 vs 10:20, B 12:20 vs 13:00, C 14:30 vs 11:00.
    assert route["eta_abs_delta_s"] == pytest.approx((10 * 60 + 40 * 60 + 210 * 60) / 3)
    profit = client.get("/api/v1/analytics/profitability", query_string=RANGE, headers=tenant["headers"]).json
    row = {r["day"]: r for r in profit["items"]}["2030-03-11"]
    assert row["fees"] == 18.0  # three delivered next-day stops at the tenant's 6.00
    assert row["cost"] == pytest.approx(cost, abs=1e-3)
    assert row["profit"] == pytest.approx(18.0 - cost, abs=1e-3)
    own = client.get("/api/v1/analytics/figures", query_string={**RANGE, "by": "depot"},
                     headers=tenant["headers"]).json["items"]
    d1 = {r["period_start"]: r for r in own if r["key"] == "D1"}["2030-03-11"]
    assert d1["cost_per_delivery"] == pytest.approx(cost / 3, abs=1e-3)


def test_scorecards_dwell_and_heatmap(built, clean, client, tenant):
    drivers = client.get("/api/v1/analytics/scorecards/drivers", query_string=RANGE, headers=tenant["headers"]).json
    r1 = {r["key"]: r for r in drivers["items"]}["R1"]
    events = raw_events(clean, tenant["id"])
    # Ours on B, plus whatever tracking raised on its own (it watches arrivals against ETAs and windows).
    raised = sum(1 for n in "ABCF" for e in events[built[n]] if e.type == "delivery.exception")
    assert raised >= 1 and r1["deliveries"] == 4 and r1["exceptions"] == raised
    on_road_h = (at(11, "14:40") - at(11, "09:00")).total_seconds() / 3600 + (at(18, "09:30") - at(18, "08:30")).total_seconds() / 3600
    assert r1["stops_per_hour"] == round(4 / on_road_h, 2)
    carriers = client.get("/api/v1/analytics/scorecards/carriers", query_string=RANGE, headers=tenant["headers"]).json
    assert [(r["key"], r["deliveries"], r["failed"]) for r in carriers["items"]] == [("K1", 2, 1)]
    dwell = client.get("/api/v1/analytics/dwell", query_string=RANGE, headers=tenant["headers"]).json["items"]
    got = {(r["stop_type"], r["postal_area"]): (r["stops"], r["dwell_avg_s"]) for r in dwell}
    # A 10:30->10:35 and F 09:25->09:30 at M5V (residential); B 12:20->12:30 business; C's last attempt 14:30->14:40.
    assert got == {("residential", "M5V"): (2, 300.0), ("business", "M5V"): (1, 600.0), ("residential", "M6J"): (1, 600.0)}
    heat = client.get("/api/v1/analytics/heatmap", query_string={**RANGE, "resolution": 7},
                      headers=tenant["headers"]).json["items"]
    assert sorted((r["reason"], r["failed"]) for r in heat) == [("address_not_found", 1), ("not_home", 1)]
    for row in heat:
        ids = client.get(row["deliveries_url"], headers=tenant["headers"]).json["delivery_ids"]
        expected = [n for n in ("C", "E") if {"C": "not_home", "E": "address_not_found"}[n] == row["reason"]]
        assert ids == [built[n] for n in expected]


def test_each_figure_links_to_the_deliveries_it_counts(built, clean, client, tenant):
    rows = client.get("/api/v1/analytics/figures", query_string={**RANGE, "by": "driver"},
                      headers=tenant["headers"]).json["items"]
    row = {(r["period_start"], r["key"]): r for r in rows}[("2030-03-11", "R1")]
    counted = client.get(row["deliveries_url"], headers=tenant["headers"]).json
    assert sorted(counted["delivery_ids"]) == sorted(built[n] for n in ("A", "B", "C"))
    late = client.get(row["deliveries_url"].replace("figure=deliveries", "figure=late"), headers=tenant["headers"]).json
    assert late["delivery_ids"] == [built["B"]]
    first_failed = client.get(row["deliveries_url"].replace("figure=deliveries", "figure=first_attempt_failed"),
                              headers=tenant["headers"]).json
    assert first_failed["delivery_ids"] == [built["C"]]
    paged = client.get(row["deliveries_url"] + "&limit=2", headers=tenant["headers"]).json
    rest = client.get(row["deliveries_url"] + f"&limit=2&after={paged['next_after']}", headers=tenant["headers"]).json
    assert paged["delivery_ids"] + rest["delivery_ids"] == sorted(built[n] for n in ("A", "B", "C"))
    assert rest["next_after"] is None
