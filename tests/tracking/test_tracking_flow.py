"""Tracking through the hub: a failed attempt recovered by the tenant's policy, operator recovery through the
API, and ETAs / exceptions recomputed from a stored route on arrival, completion and pings."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

from hub.canonical.validation import validate_document
from hub.db.engine import transaction
from hub.db.models.execution import DriverPing
from hub.jobs.track import on_ping
from hub.routing.matrix import ceil_int, haversine_m
from tests.tracking.setup import STOPS, berlin_delivery, fleet, move, post, store_route

BERLIN = timezone(timedelta(hours=1))
POLICY = {"default_action": "return", "max_attempts": 3,
          "rules": [{"name": "nobody home: next day", "match": {"reason_codes": ["customer_unavailable"]},
                     "action": "reschedule"}],
          "reschedule": {"days_ahead": 1}}


def events(client: Any, tenant: dict[str, Any], delivery_id: str, type_: str | None = None) -> list[dict[str, Any]]:
    response = client.get(f"/api/v1/deliveries/{delivery_id}/events", headers=tenant["headers"])
    assert response.status_code == 200, response.json
    items = response.json["items"]
    return [e for e in items if type_ is None or e["type"] == type_]


def status(client: Any, tenant: dict[str, Any], delivery_id: str) -> str:
    return client.get(f"/api/v1/deliveries/{delivery_id}", headers=tenant["headers"]).json["status"]


def test_failed_attempt_is_rescheduled_by_the_policy_and_recorded(client, tenant, run_jobs, clean) -> None:
    assert client.get("/api/v1/settings/recovery-policy", headers=tenant["headers"]).json["default_action"] \
        == "reschedule"  # the built-in default
    bad = client.put("/api/v1/settings/recovery-policy", json={"default_action": "burn"}, headers=tenant["headers"])
    assert bad.status_code == 422 and bad.json["error"]["details"][0]["path"] == "$.default_action"
    saved = client.put("/api/v1/settings/recovery-policy", json=POLICY, headers=tenant["headers"])
    assert saved.status_code == 200 and saved.json == POLICY
    assert client.get("/api/v1/settings/recovery-policy", headers=tenant["headers"]).json == POLICY

    start = datetime.now(BERLIN).replace(minute=0, second=0, microsecond=0) + timedelta(hours=2)
    window = (start, start + timedelta(hours=2))  # today's window: the failure is before it ends
    delivery_id = post(client, tenant, run_jobs, berlin_delivery("BER-1", "alex", window))
    assert status(client, tenant, delivery_id) == "received"
    move(clean, delivery_id, "assigned", "planned", "dispatched", "in_transit")
    move(clean, delivery_id, "failed_attempt", reason_code="customer_unavailable")
    run_jobs()

    doc = client.get(f"/api/v1/deliveries/{delivery_id}", headers=tenant["headers"]).json
    assert doc["status"] == "rescheduled"
    assert doc["promised_window"] == {"start": (window[0] + timedelta(days=1)).isoformat(),
                                      "end": (window[1] + timedelta(days=1)).isoformat()}  # the next day
    [exception] = events(client, tenant, delivery_id, "delivery.exception")
    assert exception["data"]["code"] == "failed_attempt" and exception["actor"]["id"] == "tracking"
    assert validate_document("events/exception.v1", exception["data"]) == []
    [recovery] = events(client, tenant, delivery_id, "delivery.recovery")
    assert recovery["actor"] == {"kind": "system", "id": "recovery_policy"}
    assert recovery["data"]["decided_by"] == {"kind": "policy", "rule": "nobody home: next day", "attempts": 1}
    assert recovery["data"]["action"] == "reschedule" and recovery["data"]["status"] == "rescheduled"
    assert recovery["data"]["window"] == doc["promised_window"]
    assert recovery["data"]["previous_window"] == {"start": window[0].isoformat(), "end": window[1].isoformat()}
    failed = [e for e in events(client, tenant, delivery_id, "delivery.status_changed")
              if e["data"]["status"] == "failed_attempt"][0]
    assert recovery["data"]["trigger_event_id"] == failed["id"]
    assert validate_document("events/recovery.v1", recovery["data"]) == []  # what subscribers receive
    updated = events(client, tenant, delivery_id, "delivery.updated")[-1]
    assert updated["data"]["changed"] == ["promised_window"]

    # Running the jobs again changes nothing (one outbox row runs once; a retried run finds its events).
    count = len(events(client, tenant, delivery_id))
    run_jobs()
    assert len(events(client, tenant, delivery_id)) == count

    # The second attempt fails too, for another reason: the policy's default returns the goods.
    move(clean, delivery_id, "in_transit")
    move(clean, delivery_id, "failed_attempt", reason_code="access_denied")
    run_jobs()
    assert status(client, tenant, delivery_id) == "returned"
    last = events(client, tenant, delivery_id, "delivery.recovery")[-1]
    assert last["data"]["decided_by"]["rule"] == "default_action" and last["data"]["action"] == "return"


def test_operator_recovery_through_the_api(client, tenant, run_jobs, clean) -> None:
    client.put("/api/v1/settings/recovery-policy", json={"default_action": "reschedule", "max_attempts": 1},
               headers=tenant["headers"])  # the first failure already returns: the operator steps in first
    delivery_id = post(client, tenant, run_jobs, berlin_delivery("BER-2", "tor", None))
    move(clean, delivery_id, "assigned", "planned", "dispatched", "in_transit")
    move(clean, delivery_id, "failed_attempt", reason_code="customer_unavailable")  # jobs not run yet
    url = f"/api/v1/deliveries/{delivery_id}/recovery"
    bad = client.post(url, json={"action": "reschedule", "window": {"start": "tomorrow"}}, headers=tenant["headers"])
    assert bad.status_code == 422 and bad.json["error"]["details"][0]["path"] == "$.window.start"
    assert client.post(url, json={"action": "fly"}, headers=tenant["headers"]).status_code == 422
    window = {"start": "2026-03-14T09:00:00+01:00", "end": "2026-03-14T11:00:00+01:00"}
    done = client.post(url, json={"action": "reschedule", "window": window, "note": "customer called"},
                       headers=tenant["headers"])
    assert done.status_code == 200, done.json
    assert done.json["status"] == "rescheduled"
    assert done.json["recovery"]["decided_by"]["kind"] == "operator"
    assert validate_document("events/recovery.v1", done.json["recovery"]) == []
    run_jobs()  # the policy finds the delivery moved on already and leaves it alone
    doc = client.get(f"/api/v1/deliveries/{delivery_id}", headers=tenant["headers"]).json
    assert doc["status"] == "rescheduled" and doc["promised_window"] == window
    assert len(events(client, tenant, delivery_id, "delivery.recovery")) == 1
    assert events(client, tenant, delivery_id, "delivery.exception")[0]["data"]["code"] == "failed_attempt"

    back = client.post(url, json={"action": "return"}, headers=tenant["headers"])
    assert back.status_code == 200 and back.json["status"] == "returned"
    again = client.post(url, json={"action": "reassign"}, headers=tenant["headers"])
    assert again.status_code == 409  # returned is final
    other = client.post("/api/v1/deliveries/dlv_01JZZZZZZZZZZZZZZZZZZZZZZZ/recovery", json={"action": "return"},
                        headers=tenant["headers"])
    assert other.status_code == 404


def drive_s(a: tuple[float, float], b: tuple[float, float]) -> int:
    return ceil_int(haversine_m(a, b) * 1.3 / (30.0 / 3.6))


def test_etas_and_exceptions_from_a_stored_route(client, tenant, run_jobs, clean) -> None:
    now = datetime.now(timezone.utc).replace(microsecond=0)
    far = now + timedelta(hours=6)
    ids_by_name = {}
    for name in ("alex", "hackescher", "tor"):
        end = now + timedelta(minutes=5) if name == "tor" else far  # the last stop cannot make its window
        ids_by_name[name] = post(client, tenant, run_jobs,
                                 berlin_delivery(f"BER-{name}", name, (now - timedelta(hours=1), end)))
    # The depot's clock reads about 10:00 whenever the test runs: the route's day holds the driver's next minutes
    # (with a UTC depot, a run in the last quarter hour of the UTC day put the pings below on the next day's route).
    offset = 600 - (now.hour * 60 + now.minute)
    offset = offset + 1440 if offset < -720 else offset
    ids = fleet(client, tenant, utc_offset_min=offset)
    order = [(ids_by_name[n], n) for n in ("alex", "hackescher", "tor")]
    planned = [now + timedelta(hours=2, minutes=10 * i) for i in range(3)]  # planned ETAs far from reality
    store_route(clean, tenant["id"], ids, order, (now + timedelta(minutes=offset)).date(), planned)
    client.put("/api/v1/settings/recovery-policy", json={"default_action": "reschedule"}, headers=tenant["headers"])
    alex, hack, tor = (ids_by_name[n] for n in ("alex", "hackescher", "tor"))
    move(clean, alex, "dispatched", "in_transit")
    run_jobs()
    assert events(client, tenant, hack, "delivery.eta_changed") == []  # in_transit is not a stop event

    move(clean, alex, "arriving")
    run_jobs()
    arrived = [e for e in events(client, tenant, alex, "delivery.status_changed")
               if e["data"]["status"] == "arriving"][0]
    at = datetime.fromisoformat(arrived["occurred_at"].replace("Z", "+00:00"))
    [eta2] = events(client, tenant, hack, "delivery.eta_changed")
    expected = at + timedelta(seconds=300 + drive_s(STOPS["alex"][:2], STOPS["hackescher"][:2]))
    assert datetime.fromisoformat(eta2["data"]["eta"].replace("Z", "+00:00")) == expected
    assert eta2["data"]["previous_eta"].startswith(planned[1].strftime("%Y-%m-%dT%H:%M:%S"))
    assert eta2["data"]["source"] == "driver_position" and eta2["data"]["route_id"] == "rpl_tracking"
    assert validate_document("events/eta_changed.v1", eta2["data"]) == []
    assert events(client, tenant, alex, "delivery.eta_changed") == []  # not for the stop itself
    [late] = events(client, tenant, tor, "delivery.exception")
    assert late["data"]["code"] == "late_risk"

    # Delivered 2.5 km from the address: an address mismatch. The ETAs hardly move: no new eta_changed.
    move(clean, alex, "delivered", extra={"location": {"lat": STOPS["tor"][0], "lng": STOPS["tor"][1]}})
    run_jobs()
    assert [e["data"]["code"] for e in events(client, tenant, alex, "delivery.exception")] == ["address_mismatch"]
    assert len(events(client, tenant, hack, "delivery.eta_changed")) == 1
    assert len(events(client, tenant, tor, "delivery.exception")) == 1  # late_risk is told once

    # The driver wanders off to Tempelhof for 12 minutes: a route deviation on the next stop.
    start = now + timedelta(minutes=1)
    with transaction(clean.sessions) as session:
        for i in range(7):
            session.add(DriverPing(tenant_id=tenant["id"], driver_id=ids["driver_id"], lat=52.4730, lng=13.4039,
                                   recorded_at=start + timedelta(minutes=2 * i)))
    ping = {"lat": 52.4730, "lng": 13.4039, "recorded_at": (start + timedelta(minutes=12)).isoformat()}
    on_ping(clean, tenant["id"], ids["driver_id"], ping)
    codes = [e["data"]["code"] for e in events(client, tenant, hack, "delivery.exception")]
    assert codes == ["route_deviation"]
    etas = events(client, tenant, hack, "delivery.eta_changed")
    assert len(etas) == 2 and etas[-1]["data"]["previous_eta"] == eta2["data"]["eta"]
    on_ping(clean, tenant["id"], ids["driver_id"], ping)  # the same stretch is not reported twice
    assert len(events(client, tenant, hack, "delivery.exception")) == 1


def test_reassign_without_capacity_goes_back_to_received(client, tenant, run_jobs, clean) -> None:
    client.put("/api/v1/settings/recovery-policy", json={
        "rules": [{"name": "refused: try again", "match": {"reason_codes": ["refused"]}, "action": "reassign"}]},
        headers=tenant["headers"])
    delivery_id = post(client, tenant, run_jobs, berlin_delivery("BER-3", "hackescher", None))
    move(clean, delivery_id, "assigned", "planned", "dispatched", "in_transit")
    move(clean, delivery_id, "failed_attempt", reason_code="refused")
    run_jobs()
    assert status(client, tenant, delivery_id) == "received"  # no depot or carrier set up: waits for assignment
    [recovery] = events(client, tenant, delivery_id, "delivery.recovery")
    assert recovery["data"]["action"] == "reassign" and recovery["data"]["status"] == "received"
    assert recovery["data"]["decided_by"]["rule"] == "refused: try again"
    moves = [e["data"]["status"] for e in events(client, tenant, delivery_id, "delivery.status_changed")]
    assert moves[-2:] == ["assigned", "received"]
