"""The driver API end to end: a delivery posted through the API, on a driver's route, started, arrived at and
completed with proof of delivery (multipart), or failed and delivered on a second attempt."""

from __future__ import annotations

import hashlib
import time
from datetime import datetime, timezone

from sqlalchemy import func, select

from hub.canonical.validation import validate_document
from hub.db.engine import transaction
from hub.db.media import signed_url
from hub.db.models.execution import DriverPing, PodMedia
from hub.db.models.planning import RouteStopRow
from hub.ledger.events import iso
from hub.ledger.tenants import create_tenant
from tests.execution.setup import (
    driver_headers,
    image,
    make_driver,
    plan_route,
    plan_route_by_events,
    pod_form,
    post_delivery,
    relative,
    set_status,
)
from tests.fixtures import make_key


def _history(client, tenant, delivery_id):
    items = client.get(f"/api/v1/deliveries/{delivery_id}/events", headers=tenant["headers"]).json["items"]
    return [(e["type"], e["data"].get("status")) for e in items], items


def test_route_start_arrive_complete_with_pod(client, tenant, run_jobs, clean):
    first = post_delivery(client, tenant, run_jobs, "ORD-1")
    second = post_delivery(client, tenant, run_jobs, "ORD-2")
    driver = make_driver(client, tenant)
    plan_route(clean, driver, [second, first])
    headers = driver_headers(clean, tenant["id"], driver["id"])

    route = client.get("/api/v1/driver/route", headers=headers)
    assert route.status_code == 200, route.json
    assert [(s["position"], s["delivery_id"], s["status"]) for s in route.json["stops"]] == [
        (1, second, "planned"), (2, first, "planned")]
    assert route.json["route_id"] == "rte_test" and route.json["source"] == "route_plans"
    assert route.json["stops"][0]["eta"]
    assert route.json["stops"][0]["requirements"] == {
        "signature": True, "photo": True}

    started = client.post("/api/v1/driver/route/start", headers=headers)
    assert started.status_code == 200, started.json
    assert {s["delivery_id"]: s["status"] for s in started.json["stops"]} == {first: "in_transit", second: "in_transit"}
    again = client.post("/api/v1/driver/route/start", headers=headers).json
    assert not any(s["changed"] for s in again["stops"])  # starting twice changes nothing

    arrived = client.post(f"/api/v1/driver/stops/{first}/arrive", json={"lat": 43.64, "lng": -79.38}, headers=headers)
    assert arrived.status_code == 200 and arrived.json["status"] == "arriving"

    done = client.post(f"/api/v1/driver/stops/{first}/complete", data=pod_form(photos=2), headers=headers,
                       content_type="multipart/form-data")
    assert done.status_code == 200, done.json
    assert done.json["status"] == "delivered"
    pod = done.json["pod"]
    assert pod["signature"]["sha256"] == hashlib.sha256(image("signature.png")).hexdigest()
    assert [p["sha256"] for p in pod["photos"]] == [hashlib.sha256(image(n)).hexdigest()
                                                    for n in ("door.png", "parcel.png")]
    assert pod["signature"]["content_type"] == "image/png"
    assert pod["signature"]["size_bytes"] == len(image("signature.png"))
    assert pod["position"] == {"lat": 43.6408, "lng": -79.3856, "accuracy_m": 8.5}

    types, items = _history(client, tenant, first)
    assert types[-7:] == [("delivery.status_changed", "dispatched"), ("delivery.status_changed", "in_transit"),
                          ("delivery.handoff", None), ("delivery.status_changed", "arriving"),
                          ("delivery.pod_captured", None), ("delivery.handoff", None),
                          ("delivery.status_changed", "delivered")]
    pod_event = next(e for e in items if e["type"] == "delivery.pod_captured")
    assert pod_event["data"] == pod and pod_event["actor"] == {"kind": "driver", "id": driver["id"]}
    handoffs = [e["data"] for e in items if e["type"] == "delivery.handoff"]
    assert handoffs == [{"from": {"kind": "warehouse", "id": driver["depot_id"]}, "to": {"kind": "driver", "id": driver["id"]}},
                        {"from": {"kind": "driver", "id": driver["id"]}, "to": {"kind": "recipient", "name": "Priya Natarajan"}}]
    assert all(validate_document("events/handoff.v1", h) == [] for h in handoffs)  # what subscribers receive

    # The signed link serves the very bytes; an expired or tampered link is 403.
    url = done.json["media_urls"][pod["signature"]["id"]]
    served = client.get(relative(url))
    assert served.status_code == 200 and served.data == image("signature.png")
    assert served.mimetype == "image/png"
    expired = signed_url(clean.config, pod["signature"]["id"], ttl_s=60, now=time.time() - 3600)
    assert client.get(relative(expired)).status_code == 403
    assert "expired" in client.get(relative(expired)).json["error"]["message"]
    other_file = relative(url).replace(pod["signature"]["id"], pod["photos"][0]["id"])
    assert client.get(other_file).status_code == 403  # a signature is for one file only
    assert client.get(relative(url)[:-4] + "0000").status_code == 403
    assert client.get(f"/media/{pod['signature']['id']}").status_code == 403

    custody = client.get(f"/api/v1/deliveries/{first}/custody", headers=tenant["headers"]).json
    assert custody["ok"] is True and custody["first_broken"] is None and len(custody["media"]) == 3
    assert custody["custody_gaps"] == []
    pods = client.get(f"/api/v1/deliveries/{first}/pod", headers=tenant["headers"]).json["items"]
    assert len(pods) == 1 and set(pods[0]["media_urls"]) == {pod["signature"]["id"], *[p["id"] for p in pod["photos"]]}

    # The finished stop stays on the route, shown as delivered.
    stops = client.get("/api/v1/driver/route", headers=headers).json["stops"]
    assert {s["delivery_id"]: s["status"] for s in stops} == {first: "delivered", second: "in_transit"}

    # Tracking writes what happened onto the plan's stop rows: a re-plan starts the van from when it left.
    run_jobs()
    with clean.sessions() as session:
        rows = {r.delivery_id: r for r in session.execute(select(RouteStopRow)).scalars()}
    assert rows[first].state == "completed" and rows[first].departed_at >= rows[first].arrived_at
    assert rows[second].state == "pending" and rows[second].arrived_at is None


def test_completion_without_required_signature_is_422_naming_it(client, tenant, run_jobs, clean):
    delivery = post_delivery(client, tenant, run_jobs, "ORD-1", requirements={"signature": True, "photo": True,
                                                                               "minimum_age": 18})
    driver = make_driver(client, tenant)
    plan_route(clean, driver, [delivery])
    headers = driver_headers(clean, tenant["id"], driver["id"])
    client.post("/api/v1/driver/route/start", headers=headers)
    client.post(f"/api/v1/driver/stops/{delivery}/arrive", headers=headers)

    refused = client.post(f"/api/v1/driver/stops/{delivery}/complete", data=pod_form(signature=False, photos=0),
                          headers=headers, content_type="multipart/form-data")
    assert refused.status_code == 422
    assert refused.json["error"]["code"] == "pod_incomplete"
    assert [d["path"] for d in refused.json["error"]["details"]] == ["$.signature", "$.photos", "$.age_verified"]
    assert "signature" in refused.json["error"]["message"]
    with clean.sessions() as session:
        assert session.scalar(select(func.count()).select_from(PodMedia)) == 0  # nothing stored
    assert client.get(f"/api/v1/deliveries/{delivery}", headers=tenant["headers"]).json["status"] == "arriving"

    not_json = client.post(f"/api/v1/driver/stops/{delivery}/complete", json={}, headers=headers)
    assert not_json.status_code == 415

    done = client.post(f"/api/v1/driver/stops/{delivery}/complete", data=pod_form(photos=1, age_verified="true"),
                       headers=headers, content_type="multipart/form-data")
    assert done.status_code == 200, done.json
    types, _ = _history(client, tenant, delivery)
    assert ("delivery.age_verified", None) in types and types[-1] == ("delivery.status_changed", "delivered")


def test_failed_attempt_then_rescheduled_then_delivered(client, tenant, run_jobs, clean):
    delivery = post_delivery(client, tenant, run_jobs, "ORD-1", requirements={})
    driver = make_driver(client, tenant)
    plan_route(clean, driver, [delivery])
    headers = driver_headers(clean, tenant["id"], driver["id"])
    client.post("/api/v1/driver/route/start", headers=headers)
    client.post(f"/api/v1/driver/stops/{delivery}/arrive", headers=headers)

    vague = client.post(f"/api/v1/driver/stops/{delivery}/fail", json={"reason_code": "other"}, headers=headers)
    assert vague.status_code == 422 and vague.json["error"]["details"][0]["path"] == "$.note"
    unknown = client.post(f"/api/v1/driver/stops/{delivery}/fail", json={"reason_code": "gone"}, headers=headers)
    assert unknown.status_code == 422 and unknown.json["error"]["details"][0]["path"] == "$.reason_code"

    failed = client.post(f"/api/v1/driver/stops/{delivery}/fail", headers=headers,
                         json={"reason_code": "customer_unavailable", "note": "Rang twice", "lat": 43.64, "lng": -79.38})
    assert failed.status_code == 200 and failed.json["status"] == "failed_attempt"
    _, items = _history(client, tenant, delivery)
    assert items[-1]["data"] == {"status": "failed_attempt", "previous_status": "arriving",
                                 "reason": "Nobody was there to take the delivery", "reason_code": "customer_unavailable",
                                 "note": "Rang twice", "location": {"lat": 43.64, "lng": -79.38}}

    set_status(clean, delivery, "rescheduled")  # the operator books a second attempt, same driver, same day
    restarted = client.post("/api/v1/driver/route/start", headers=headers).json
    assert restarted["stops"] == [{"delivery_id": delivery, "status": "in_transit", "changed": True}]
    client.post(f"/api/v1/driver/stops/{delivery}/arrive", headers=headers)
    done = client.post(f"/api/v1/driver/stops/{delivery}/complete", data=pod_form(signature=False, photos=1),
                       headers=headers, content_type="multipart/form-data")
    assert done.status_code == 200 and done.json["status"] == "delivered"
    types, _ = _history(client, tenant, delivery)
    statuses = [s for t, s in types if t == "delivery.status_changed"]
    assert statuses == ["planned", "dispatched", "in_transit", "arriving", "failed_attempt", "rescheduled",
                        "in_transit", "arriving", "delivered"]
    assert sum(1 for t, _ in types if t == "delivery.handoff") == 2  # the driver kept it between attempts
    custody = client.get(f"/api/v1/deliveries/{delivery}/custody", headers=tenant["headers"]).json
    assert custody["ok"] and custody["custody_gaps"] == []


def test_impossible_moves_are_409_with_the_reason(client, tenant, run_jobs, clean):
    delivery = post_delivery(client, tenant, run_jobs, "ORD-1", requirements={})
    driver = make_driver(client, tenant)
    plan_route(clean, driver, [delivery])
    headers = driver_headers(clean, tenant["id"], driver["id"])
    early = client.post(f"/api/v1/driver/stops/{delivery}/complete", data=pod_form(), headers=headers,
                        content_type="multipart/form-data")
    assert early.status_code == 409 and early.json["error"]["code"] == "invalid_transition"
    assert "'planned' cannot become 'delivered'" in early.json["error"]["message"]
    with clean.sessions() as session:
        assert session.scalar(select(func.count()).select_from(PodMedia)) == 0
    client.post("/api/v1/driver/route/start", headers=headers)
    client.post(f"/api/v1/driver/stops/{delivery}/complete", data=pod_form(), headers=headers,
                content_type="multipart/form-data")
    again = client.post(f"/api/v1/driver/stops/{delivery}/arrive", headers=headers)
    assert again.status_code == 409 and "final status" in again.json["error"]["message"]


def test_a_driver_acts_only_on_their_own_stops(client, tenant, run_jobs, clean):
    delivery = post_delivery(client, tenant, run_jobs, "ORD-1", requirements={})
    ana, ben = make_driver(client, tenant, "Ana"), make_driver(client, tenant, "Ben")
    plan_route(clean, ana, [delivery])
    bens = driver_headers(clean, tenant["id"], ben["id"])
    assert client.get("/api/v1/driver/route", headers=bens).json["stops"] == []
    assert client.post("/api/v1/driver/route/start", headers=bens).status_code == 404
    assert client.post(f"/api/v1/driver/stops/{delivery}/arrive", headers=bens).status_code == 404
    assert client.post(f"/api/v1/driver/stops/{delivery}/fail", json={"reason_code": "refused"},
                       headers=bens).status_code == 404

    with transaction(clean.sessions) as session:
        other = create_tenant(session, "other-tenant")
    stranger = make_key(clean, other.id, "driver", subject_id=ana["id"])  # another tenant's key naming Ana
    assert client.get("/api/v1/driver/route", headers=stranger).status_code == 403
    assert client.post(f"/api/v1/driver/stops/{delivery}/arrive", headers=stranger).status_code == 403
    admin = client.post(f"/api/v1/driver/stops/{delivery}/arrive", headers=tenant["headers"])
    assert admin.status_code == 403  # the driver API needs a driver key
    custody = client.get(f"/api/v1/deliveries/{delivery}/custody", headers=make_key(clean, other.id, "admin"))
    assert custody.status_code == 404


def test_pings_are_stored_once(client, tenant, run_jobs, clean):
    driver = make_driver(client, tenant)
    headers = driver_headers(clean, tenant["id"], driver["id"])
    now = time.time()
    points = [{"lat": 43.64 + i / 1000, "lng": -79.38, "accuracy_m": 5, "recorded_at": iso_at(now - 30 + i * 5)}
              for i in range(3)]
    first = client.post("/api/v1/driver/pings", json={"points": points}, headers=headers)
    assert first.status_code == 202 and first.json == {"received": 3, "stored": 3}
    again = client.post("/api/v1/driver/pings", json={"points": points}, headers=headers)
    assert again.json == {"received": 3, "stored": 0}
    bad = client.post("/api/v1/driver/pings", headers=headers,
                      json={"points": [{"lat": 91, "lng": -79.38, "recorded_at": "yesterday"}]})
    assert bad.status_code == 422
    assert {d["path"] for d in bad.json["error"]["details"]} == {"$.points[0].lat", "$.points[0].recorded_at"}
    ahead = client.post("/api/v1/driver/pings", headers=headers,
                        json={"points": [{"lat": 43.6, "lng": -79.38, "recorded_at": iso_at(now + 3600)}]})
    assert ahead.status_code == 409 and ahead.json["error"]["code"] == "clock_ahead"
    assert [d["path"] for d in ahead.json["error"]["details"]] == ["$.points[0].recorded_at"]
    with clean.sessions() as session:
        assert session.scalar(select(func.count()).select_from(DriverPing)) == 3


def test_pings_with_an_offset_are_stored_at_their_instant_and_once(client, tenant, clean):
    driver = make_driver(client, tenant)
    headers = driver_headers(clean, tenant["id"], driver["id"])
    points = [{"lat": 43.64, "lng": -79.38, "recorded_at": "2026-01-01T13:00:00+02:00"}]
    first = client.post("/api/v1/driver/pings", json={"points": points}, headers=headers)
    assert first.status_code == 202 and first.json == {"received": 1, "stored": 1}
    again = client.post("/api/v1/driver/pings", json={"points": points}, headers=headers)  # SQLite keeps no offset
    assert again.status_code == 202 and again.json == {"received": 1, "stored": 0}
    with clean.sessions() as session:
        stored = session.scalar(select(DriverPing.recorded_at))
    assert stored.replace(tzinfo=stored.tzinfo or timezone.utc) == datetime(2026, 1, 1, 11, tzinfo=timezone.utc)


def iso_at(seconds: float) -> str:
    return iso(datetime.fromtimestamp(seconds, timezone.utc))


def test_my_route_falls_back_to_route_events(client, tenant, run_jobs, clean):
    first = post_delivery(client, tenant, run_jobs, "ORD-1", requirements={})
    second = post_delivery(client, tenant, run_jobs, "ORD-2", requirements={})
    driver = make_driver(client, tenant)
    plan_route_by_events(clean, driver, [second, first])
    headers = driver_headers(clean, tenant["id"], driver["id"])
    route = client.get("/api/v1/driver/route", headers=headers).json
    assert route["source"] == "route_events" and route["route_id"] == "rte_events"
    assert [(s["position"], s["delivery_id"]) for s in route["stops"]] == [(1, second), (2, first)]
    tomorrow = client.get("/api/v1/driver/route?date=2099-01-01", headers=headers).json
    assert tomorrow["stops"] == [] and tomorrow["date"] == "2099-01-01"
    assert client.get("/api/v1/driver/route?date=soon", headers=headers).status_code == 400
    started = client.post("/api/v1/driver/route/start", headers=headers).json
    assert [s["status"] for s in started["stops"]] == ["in_transit", "in_transit"]
