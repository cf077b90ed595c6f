"""GET /api/v1/slots and POST /api/v1/slots/reservations against a real database and Redis: open windows come
from inserting the stop into the day (capacity, shifts), holds count as planned stops, expire, and are
confirmed by the delivery that carries them."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import update

from hub.db.engine import transaction
from hub.db.models import Delivery, utcnow
from hub.db.models.slots import SlotReservation
from tests.api.test_deliveries_api import example_input
from tests.slots.setup import ALEX, POTSDAM, berlin_fleet, query, tomorrow


def test_a_day_without_a_plan_offers_the_windows_inside_the_fleets_shifts(client, tenant):  # type: ignore[no-untyped-def]
    berlin_fleet(client, tenant, shift=("10:00", "16:00"))
    answer = query(client, tenant["headers"], tomorrow(), lat=ALEX[0], lng=ALEX[1])
    assert answer.status_code == 200, answer.get_json()
    body = answer.get_json()
    assert body["location"]["source"] == "given"
    windows = {w["start"][11:16]: w for w in body["windows"]}
    assert list(windows) == ["08:00", "10:00", "12:00", "14:00", "16:00", "18:00"]
    assert [windows[h]["open"] for h in windows] == [False, True, True, True, False, False]
    assert windows["08:00"]["reason"] == "full"  # no van is out before 10:00
    assert windows["16:00"]["reason"] == "full"  # the shift ends at 16:00
    assert windows["10:00"]["depot_id"] == body["depot_ids"][0]


def test_a_postal_code_alone_is_tried_at_its_areas_centre(client, tenant):  # type: ignore[no-untyped-def]
    berlin_fleet(client, tenant)
    body = query(client, tenant["headers"], tomorrow()).get_json()
    assert body["location"]["source"] == "postal_area"
    assert any(w["open"] for w in body["windows"])


def test_outside_coverage_and_cut_off_say_why(client, tenant):  # type: ignore[no-untyped-def]
    berlin_fleet(client, tenant)
    body = query(client, tenant["headers"], tomorrow(), postal_code="14467", lat=POTSDAM[0], lng=POTSDAM[1]).get_json()
    assert {w["reason"] for w in body["windows"]} == {"outside_coverage"}
    today = utcnow().date()
    body = query(client, tenant["headers"], today - timedelta(days=1)).get_json()
    assert {w["reason"] for w in body["windows"]} == {"cut_off_passed"}


def test_bad_queries_name_the_field(client, tenant):  # type: ignore[no-untyped-def]
    answer = client.get("/api/v1/slots", query_string={"date": "tomorrow"}, headers=tenant["headers"])
    assert answer.status_code == 400 and answer.get_json()["error"]["code"] == "bad_query"
    assert {d["path"] for d in answer.get_json()["error"]["details"]} >= {"query.date"}
    answer = client.get("/api/v1/slots", query_string={"date": "2030-01-01"}, headers=tenant["headers"])
    assert answer.status_code == 400 and "postal_code" in str(answer.get_json())
    assert client.get("/api/v1/slots", query_string={"date": "2030-01-01", "postal_code": "10178"}).status_code == 401


def _reserve(client, headers, start, parcels=1):  # type: ignore[no-untyped-def]
    return client.post("/api/v1/slots/reservations", json={"window_start": start, "postal_code": "10178",
                                                            "country": "DE", "lat": ALEX[0], "lng": ALEX[1],
                                                            "parcels": parcels}, headers=headers)


def test_holds_take_the_capacity_until_they_expire(client, tenant, clean):  # type: ignore[no-untyped-def]
    berlin_fleet(client, tenant, parcels=2)
    day = tomorrow()
    windows = query(client, tenant["headers"], day, lat=ALEX[0], lng=ALEX[1]).get_json()["windows"]
    start = next(w["start"] for w in windows if w["open"])
    first = _reserve(client, tenant["headers"], start)
    assert first.status_code == 201, first.get_json()
    held = first.get_json()
    assert held["state"] == "held" and held["window"]["start"] == start
    expires = datetime.fromisoformat(held["expires_at"])
    assert timedelta(minutes=14) < expires - utcnow() <= timedelta(minutes=15)  # the default hold
    assert _reserve(client, tenant["headers"], start).status_code == 201
    after = query(client, tenant["headers"], day, lat=ALEX[0], lng=ALEX[1]).get_json()["windows"]
    assert {w["reason"] for w in after} <= {"full", "cut_off_passed"} and any(w["reason"] == "full" for w in after)
    refused = _reserve(client, tenant["headers"], start)
    assert refused.status_code == 409
    assert refused.get_json()["error"]["code"] == "full"
    with transaction(clean.sessions) as session:  # the first hold runs out
        session.execute(update(SlotReservation).where(SlotReservation.id == held["id"])
                        .values(expires_at=utcnow() - timedelta(seconds=1)))
    assert client.get(f"/api/v1/slots/reservations/{held['id']}", headers=tenant["headers"]).get_json()["state"] == "expired"
    assert _reserve(client, tenant["headers"], start).status_code == 201


def test_releasing_a_hold_frees_it_and_a_wrong_start_is_refused(client, tenant):  # type: ignore[no-untyped-def]
    berlin_fleet(client, tenant, parcels=1)
    day = tomorrow()
    start = next(w["start"] for w in query(client, tenant["headers"], day, lat=ALEX[0], lng=ALEX[1]).get_json()["windows"]
                 if w["open"])
    held = _reserve(client, tenant["headers"], start).get_json()
    assert _reserve(client, tenant["headers"], start).status_code == 409
    assert client.delete(f"/api/v1/slots/reservations/{held['id']}", headers=tenant["headers"]).get_json()["state"] == "released"
    assert _reserve(client, tenant["headers"], start).status_code == 201
    odd = _reserve(client, tenant["headers"], start.replace(":00:00", ":30:00"))
    assert odd.status_code == 409 and odd.get_json()["error"]["code"] == "not_a_window"


def test_an_order_carrying_the_hold_gets_its_window_and_confirms_it(client, tenant, clean):  # type: ignore[no-untyped-def]
    berlin_fleet(client, tenant)
    day = tomorrow()
    window = next(w for w in query(client, tenant["headers"], day, lat=ALEX[0], lng=ALEX[1]).get_json()["windows"]
                  if w["open"])
    held = _reserve(client, tenant["headers"], window["start"]).get_json()
    doc = example_input("SLOT-1")
    doc["slot_reservation_id"] = held["id"]
    posted = client.post("/api/v1/deliveries", json=doc, headers=tenant["headers"])
    assert posted.status_code in (201, 202), posted.get_json()
    delivery_id = posted.get_json()["id"]
    with clean.sessions() as session:
        delivery = session.get(Delivery, delivery_id)
        assert delivery.document["promised_window"] == {"start": window["start"], "end": window["end"]}
        assert delivery.document["slot_reservation_id"] == held["id"]
    shown = client.get(f"/api/v1/slots/reservations/{held['id']}", headers=tenant["headers"]).get_json()
    assert shown["state"] == "confirmed" and shown["delivery_id"] == delivery_id
    again = example_input("SLOT-2")
    again["slot_reservation_id"] = held["id"]
    second = client.post("/api/v1/deliveries", json=again, headers=tenant["headers"]).get_json()
    with clean.sessions() as session:
        flags = session.get(Delivery, second["id"]).document.get("data_quality_flags", [])
        assert any(f["code"] == "slot_reservation_invalid" and "already confirmed" in f["message"] for f in flags)


def test_slot_settings_are_validated_and_change_the_windows(client, tenant):  # type: ignore[no-untyped-def]
    berlin_fleet(client, tenant)
    bad = client.put("/api/v1/settings/slots", json={"window_minutes": 5}, headers=tenant["headers"])
    assert bad.status_code == 422 and bad.get_json()["error"]["details"][0]["path"] == "$.window_minutes"
    ok = client.put("/api/v1/settings/slots", json={"window_minutes": 180, "day_start": "09:00", "day_end": "18:00"},
                    headers=tenant["headers"])
    assert ok.status_code == 200
    windows = query(client, tenant["headers"], tomorrow(), lat=ALEX[0], lng=ALEX[1]).get_json()["windows"]
    assert [w["start"][11:16] for w in windows] == ["09:00", "12:00", "15:00"]
    assert client.get("/api/v1/settings/slots", headers=tenant["headers"]).get_json()["hold_minutes"] == 15


def test_a_publishable_key_reads_and_holds_slots_and_nothing_else(client, tenant):  # type: ignore[no-untyped-def]
    berlin_fleet(client, tenant)
    minted = client.post("/api/v1/slots/publishable-keys", json={"allowed_origins": ["https://shop.example"]},
                         headers=tenant["headers"]).get_json()
    public = {"Authorization": f"Bearer {minted['key']}", "Origin": "https://shop.example"}
    answer = query(client, public, tomorrow(), lat=ALEX[0], lng=ALEX[1])
    assert answer.status_code == 200
    assert answer.headers["Access-Control-Allow-Origin"] == "https://shop.example"
    start = next(w["start"] for w in answer.get_json()["windows"] if w["open"])
    assert _reserve(client, public, start).status_code == 201
    elsewhere = {**public, "Origin": "https://evil.example"}
    assert query(client, elsewhere, tomorrow()).status_code == 403
    assert client.get("/api/v1/deliveries", headers=public).status_code == 401  # not an API key
    assert client.get("/api/v1/slots/publishable-keys", headers=public).status_code == 401
    listed = client.get("/api/v1/slots/publishable-keys", headers=tenant["headers"]).get_json()["items"]
    assert [k["id"] for k in listed] == [minted["id"]] and "key" not in listed[0]
    assert client.delete(f"/api/v1/slots/publishable-keys/{minted['id']}", headers=tenant["headers"]).status_code == 200
    assert query(client, public, tomorrow()).status_code == 401
    preflight = client.options("/api/v1/slots/reservations", headers={"Origin": "https://shop.example",
                                                                       "Access-Control-Request-Method": "POST"})
    assert preflight.status_code == 200 and "Authorization" in preflight.headers["Access-Control-Allow-Headers"]


def test_shoppers_racing_for_the_last_room_get_it_once(hub_url, client, tenant):  # type: ignore[no-untyped-def]
    """Real HTTP, a threaded server: four holds at once on a van with room for one parcel."""
    import threading

    import requests

    berlin_fleet(client, tenant, parcels=1)
    start = next(w["start"] for w in query(client, tenant["headers"], tomorrow(), lat=ALEX[0], lng=ALEX[1]).get_json()["windows"]
                 if w["open"])
    body = {"window_start": start, "postal_code": "10178", "lat": ALEX[0], "lng": ALEX[1], "parcels": 1}
    codes: list[int] = []
    barrier = threading.Barrier(4)

    def shopper() -> None:
        barrier.wait()
        codes.append(requests.post(f"{hub_url}/api/v1/slots/reservations", json=body, headers=tenant["headers"],
                                   timeout=30).status_code)

    threads = [threading.Thread(target=shopper) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(codes) == [201, 409, 409, 409]


def test_a_shopify_carrier_rate_code_becomes_the_promised_window() -> None:
    from connectors.shopify.mapping import slot_window

    order = {"shipping_lines": [{"code": "hub-slot:2030-03-15T10:00:00+01:00/2030-03-15T12:00:00+01:00"}]}
    assert slot_window(order) == {"start": "2030-03-15T10:00:00+01:00", "end": "2030-03-15T12:00:00+01:00"}
    assert slot_window({"shipping_lines": [{"code": "hub-slot:2030-03-15T10:00:00/2030-03-15T12:00:00"}]}) is None
    assert slot_window({"shipping_lines": [{"code": "Standard"}]}) is None


def test_one_address_cannot_hold_a_days_capacity_with_the_public_key(client, tenant):  # type: ignore[no-untyped-def]
    berlin_fleet(client, tenant, parcels=100)
    key = client.post("/api/v1/slots/publishable-keys", json={}, headers=tenant["headers"]).get_json()["key"]
    public = {"Authorization": f"Bearer {key}"}
    start = next(w["start"] for w in query(client, public, tomorrow(), lat=ALEX[0], lng=ALEX[1]).get_json()["windows"]
                 if w["open"])
    codes = [_reserve(client, public, start).status_code for _ in range(11)]
    assert codes == [201] * 10 + [429]
    assert _reserve(client, tenant["headers"], start).status_code == 201  # the shop's own server is not limited


def test_a_start_whose_local_day_is_off_the_calendar_is_not_a_window(client, tenant):  # type: ignore[no-untyped-def]
    berlin_fleet(client, tenant, utc_offset_min=60)
    # In Berlin the calendar's last UTC hour falls on a day after 9999-12-31: not a window, not a 500.
    last = _reserve(client, tenant["headers"], "9999-12-31T23:00:00Z")
    assert last.status_code == 409 and last.get_json()["error"]["code"] == "not_a_window"
