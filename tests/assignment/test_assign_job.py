"""The assign job end to end on the real database and Redis: delivery in -> decision stored -> status and events."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from sqlalchemy import select

from hub.db.engine import transaction
from hub.db.models import OutboxItem
from hub.db.models.fleet import Assignment, Driver
from tests.fleet.setup import carrier, delivery_input, own_fleet, post


def _events(client, headers, delivery_id):
    return client.get(f"/api/v1/deliveries/{delivery_id}/events", headers=headers).json["items"]


def test_own_fleet_assignment_emits_delivery_assigned_for_route_planning(client, tenant, run_jobs, clean):
    h = tenant["headers"]
    depot = own_fleet(client, h)
    carrier(client, h, "Dear carrier", price_card={"currency": "CAD", "base": "40.00"})
    delivery_id = post(client, h, "/api/v1/deliveries", delivery_input("ORD-1"))["id"]
    run_jobs()
    doc = client.get(f"/api/v1/deliveries/{delivery_id}", headers=h).json
    assert doc["status"] == "assigned"
    events = _events(client, h, delivery_id)
    types = [e["type"] for e in events]
    assert types[:3] == ["delivery.created", "delivery.status_changed", "delivery.assigned"]
    assigned = events[2]["data"]
    assert assigned["capacity"] == "own_fleet" and assigned["depot_id"] == depot["id"]
    from hub.canonical.validation import validate_document

    assert validate_document("events/assigned.v1", assigned) == []  # what subscribers receive
    explanation = client.get(f"/api/v1/deliveries/{delivery_id}/assignment", headers=h).json
    assert explanation["capacity"] == "own_fleet" and explanation["state"] == "own_fleet"
    rows = {r["candidate_id"]: r for r in explanation["decision"]["candidates"]}
    assert rows[depot["id"]]["rank"] == 1 and "parts" in rows[depot["id"]]
    with clean.sessions() as session:  # own fleet: nothing to dispatch, the routing job takes over
        assert not session.execute(select(OutboxItem).where(OutboxItem.kind == "dispatch")).first()


def test_cold_chain_delivery_skips_the_ambient_fleet(client, tenant, run_jobs):
    h = tenant["headers"]
    own_fleet(client, h, cold=False)
    cold = carrier(client, h, "Cold carrier", features=["cold_chain"])
    chilled = delivery_input("ORD-COLD", parcels=[{"quantity": 1, "weight_g": 800, "temperature": "chilled"}])
    delivery_id = post(client, h, "/api/v1/deliveries", chilled)["id"]
    run_jobs()
    explanation = client.get(f"/api/v1/deliveries/{delivery_id}/assignment", headers=h).json
    chosen = [explanation["candidate_id"], *[x["candidate_id"] for x in explanation["history"]]]
    assert cold["id"] in chosen  # the carrier has no connector: it stays assigned for a manual hand-over
    excluded = [r for r in explanation["decision"]["candidates"] if r.get("excluded_by") == "vehicle_features"]
    assert len(excluded) == 1 and "cold_chain" in excluded[0]["detail"]


def test_no_one_can_take_it_needs_attention_with_the_reason(client, tenant, run_jobs):
    h = tenant["headers"]
    carrier(client, h, "Hamburg only", coverage={"postal_prefixes": ["20"]})
    delivery_id = post(client, h, "/api/v1/deliveries", delivery_input("ORD-FAR"))["id"]
    run_jobs()
    doc = client.get(f"/api/v1/deliveries/{delivery_id}", headers=h).json
    assert doc["status"] == "needs_attention"
    events = _events(client, h, delivery_id)
    change = next(e for e in events if e["type"] == "delivery.status_changed")
    assert change["data"]["reason_code"] == "no_capacity" and "coverage" in change["data"]["reason"]


def test_capacity_used_up_moves_the_next_delivery_on(client, tenant, run_jobs, clean):
    h = tenant["headers"]
    depot = own_fleet(client, h, parcels=1)
    backup = carrier(client, h, "Backup")
    assert client.put("/api/v1/assignment-policy", json={"strategy": "own_fleet_first"}, headers=h).status_code == 201
    first = post(client, h, "/api/v1/deliveries", delivery_input("ORD-A"))["id"]
    run_jobs()
    second = post(client, h, "/api/v1/deliveries", delivery_input("ORD-B"))["id"]
    run_jobs()
    a = client.get(f"/api/v1/deliveries/{first}/assignment", headers=h).json
    b = client.get(f"/api/v1/deliveries/{second}/assignment", headers=h).json
    assert a["candidate_id"] == depot["id"] and b["candidate_id"] == backup["id"]
    rows = {r["candidate_id"]: r for r in b["decision"]["candidates"]}
    assert rows[depot["id"]]["excluded_by"] == "capacity"


def test_updates_that_matter_reassign_and_others_do_not(client, tenant, run_jobs, clean):
    h = tenant["headers"]
    own_fleet(client, h)
    doc = delivery_input("ORD-U")
    delivery_id = post(client, h, "/api/v1/deliveries", doc)["id"]
    run_jobs()
    post(client, h, "/api/v1/deliveries", {**doc, "notes": "ring twice"})
    run_jobs()
    with clean.sessions() as session:
        assert len(session.execute(select(Assignment).where(Assignment.delivery_id == delivery_id)).all()) == 1
    moved = {**doc, "parcels": [{"quantity": 2, "weight_g": 500}]}
    post(client, h, "/api/v1/deliveries", moved)
    run_jobs()
    with clean.sessions() as session:
        states = session.execute(select(Assignment.state).where(Assignment.delivery_id == delivery_id)
                                 .order_by(Assignment.attempt)).scalars().all()
    assert states == ["superseded", "own_fleet"]


def test_tenant_without_capacity_keeps_deliveries_received(client, tenant, run_jobs):
    delivery_id = post(client, tenant["headers"], "/api/v1/deliveries", delivery_input("ORD-N"))["id"]
    run_jobs()
    assert client.get(f"/api/v1/deliveries/{delivery_id}", headers=tenant["headers"]).json["status"] == "received"


def test_operator_reassign_excludes_a_candidate(client, tenant, run_jobs):
    h = tenant["headers"]
    depot = own_fleet(client, h)
    other = carrier(client, h, "Other")
    client.put("/api/v1/assignment-policy", json={"strategy": "own_fleet_first"}, headers=h)
    delivery_id = post(client, h, "/api/v1/deliveries", delivery_input("ORD-R"))["id"]
    run_jobs()
    assert client.get(f"/api/v1/deliveries/{delivery_id}/assignment", headers=h).json["candidate_id"] == depot["id"]
    response = client.post(f"/api/v1/deliveries/{delivery_id}/reassign",
                           json={"exclude": [depot["id"]], "reason": "van broke down"}, headers=h)
    assert response.status_code == 200, response.json
    assert response.json["candidate_id"] == other["id"] and response.json["attempt"] == 2
    rows = {r["candidate_id"]: r for r in response.json["decision"]["candidates"]}
    assert rows[depot["id"]]["excluded_by"] == "availability" and rows[depot["id"]]["detail"] == "van broke down"
    history = client.get(f"/api/v1/deliveries/{delivery_id}/assignment", headers=h).json["history"]
    assert [x["state"] for x in history] == ["superseded"]
    bad = client.post(f"/api/v1/deliveries/{delivery_id}/reassign", json={"exclude": depot["id"]}, headers=h)
    assert bad.status_code == 422 and [d["path"] for d in bad.json["error"]["details"]] == ["$.exclude"]
    again = client.post(f"/api/v1/deliveries/{delivery_id}/reassign", headers=h)  # the body is optional
    assert again.status_code == 200 and again.json["attempt"] == 3


def test_a_later_day_counts_every_crew_and_that_day_s_capacity(client, tenant, run_jobs, clean):
    """A next-day (or rescheduled) delivery goes to the depot even while nobody is on shift now, and it uses
    that day's capacity, not today's."""
    h = tenant["headers"]
    now = datetime.now(timezone.utc)
    start = (now + timedelta(hours=6)).replace(minute=0)
    if start.hour > 22:  # keep the one-hour shift inside the day
        start = start.replace(hour=2)
    depot = own_fleet(client, h, parcels=1)
    with transaction(clean.sessions) as session:  # the only driver is off shift right now
        for driver in session.execute(select(Driver)).scalars():
            driver.shift_start, driver.shift_end = f"{start.hour:02d}:00", f"{start.hour + 1:02d}:00"
    tomorrow = (now + timedelta(days=1)).date().isoformat()
    window = {"start": f"{tomorrow}T10:00:00Z", "end": f"{tomorrow}T12:00:00Z"}
    later = post(client, h, "/api/v1/deliveries", delivery_input("ORD-TOMORROW", promised_window=window))["id"]
    today = post(client, h, "/api/v1/deliveries", delivery_input(
        "ORD-TODAY", promised_window={"end": (now + timedelta(minutes=50)).strftime("%Y-%m-%dT%H:%M:%SZ")}))["id"]
    run_jobs()
    assert client.get(f"/api/v1/deliveries/{later}/assignment", headers=h).json["depot_id"] == depot["id"]
    assert client.get(f"/api/v1/deliveries/{today}", headers=h).json["status"] == "needs_attention"
    with clean.sessions() as session:
        row = session.execute(select(Assignment).where(Assignment.delivery_id == later)).scalar_one()
    assert row.day.isoformat() == tomorrow
    # Tomorrow's one parcel of room is taken: the next delivery for tomorrow does not fit.
    third = post(client, h, "/api/v1/deliveries", delivery_input("ORD-TOMORROW-2", promised_window=window))["id"]
    run_jobs()
    reason = client.get(f"/api/v1/deliveries/{third}/assignment", headers=h).json["decision"]["candidates"]
    assert "parcels left today" in next(r for r in reason if r["candidate_id"] == depot["id"])["detail"]
