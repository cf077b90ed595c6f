"""A pickup point as the second attempt, end to end: a failed attempt through the driver API, the recipient's
choice on /t/<token>/next, the recovery policy sending the delivery to the tenant's point (its address and
coordinates, the recipient's own kept), re-assigned and re-planned by the jobs for the first day the point is
open, the tracking page naming the point, a store update that keeps the address keeping the choice, and a slot
chosen afterwards bringing the delivery home again."""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta, timezone, tzinfo
from typing import Any

from hub.canonical.validation import validate_document
from hub.db.models import Delivery
from hub.db.models.planning import RoutePlanRow
from hub.paths import SCHEMAS_DIR
from hub.planning.builder import delivery_day
from hub.slots.settings import WEEKDAYS
from tests.slots.setup import ALEX, events_of, failed_attempt, nonce_of

KIOSK = (52.5233, 13.4027)  # Hackescher Markt, 10178: inside the depot's coverage
HOME = {"line1": "Alexanderplatz 1", "city": "Berlin", "postal_code": "10178", "country": "DE",
        "geo": {"lat": ALEX[0], "lng": ALEX[1]}}


def _kiosk(closed_on: str | None = None) -> dict[str, Any]:
    hours = {day: {"open": "09:00", "close": "19:00"} for day in WEEKDAYS if day != closed_on}
    return {"id": "kiosk-hm", "name": "Kiosk Hackescher Markt", "address": "Rosenthaler Str. 40, 10178 Berlin",
            "line1": "Rosenthaler Str. 40", "postal_code": "10178", "city": "Berlin", "country": "DE",
            "lat": KIOSK[0], "lng": KIOSK[1], "opening_hours": hours}


def _choose_kiosk(client: Any, token: str) -> Any:
    url = f"/t/{token}/next"
    html = client.get(url).get_data(as_text=True)
    assert "Kiosk Hackescher Markt" in html
    return client.post(url, data={"nonce": nonce_of(html), "choice": "pickup", "pickup_point": "kiosk-hm"})


def _day_in(zone: tzinfo, days: int) -> tuple[str, str]:
    """The date `days` from today in `zone`, and that day's weekday name."""
    local = datetime.now(zone).date() + timedelta(days=days)
    return local.isoformat(), WEEKDAYS[local.weekday()]


def test_the_chosen_pickup_point_is_applied_replanned_and_shown(client, tenant, clean, fast_forward):  # type: ignore[no-untyped-def]
    f = failed_attempt(client, tenant, clean, fast_forward)
    depot_zone = timezone(timedelta(minutes=f["utc_offset_min"]))
    with clean.sessions() as session:  # the attempt the failure rescheduled it to
        rescheduled = datetime.fromisoformat(session.get(Delivery, f["delivery_id"]).document["promised_window"]["start"])
    zone = rescheduled.tzinfo  # the point's days count in the offset of the recipient's window
    _, tomorrows_weekday = _day_in(zone, 1)
    day_after, _ = _day_in(zone, 2)
    put = client.put("/api/v1/settings/slots", headers=tenant["headers"],
                     json={"pickup_points": [_kiosk(closed_on=tomorrows_weekday)]})
    assert put.status_code == 200, put.get_json()
    assert put.get_json()["pickup_points"][0]["opening_hours"]["mon" if tomorrows_weekday != "mon" else "tue"]

    done = _choose_kiosk(client, f["token"])
    assert done.status_code == 200, done.get_data(as_text=True)
    assert "We will take it to Kiosk Hackescher Markt" in done.get_data(as_text=True)

    with clean.sessions() as session:
        doc = session.get(Delivery, f["delivery_id"]).document
    assert doc["dropoff"]["address"] == {"line1": "Rosenthaler Str. 40", "postal_code": "10178", "city": "Berlin",
                                         "country": "DE", "geo": {"lat": KIOSK[0], "lng": KIOSK[1]}}
    assert doc["dropoff"]["pickup_point"] == {"id": "kiosk-hm", "name": "Kiosk Hackescher Markt", "customer_address": HOME}
    assert doc["dropoff"]["contact"]["name"] == "Lena Vogel"
    # Closed tomorrow: the first day it is open, during its opening hours.
    assert doc["promised_window"]["start"].startswith(f"{day_after}T09:00")
    assert doc["promised_window"]["end"].startswith(f"{day_after}T19:00")
    assert validate_document("delivery.v1", doc) == []

    recovery = events_of(client, tenant, f["delivery_id"], "delivery.recovery")[-1]["data"]
    assert recovery["decided_by"] == {"kind": "customer"}
    assert recovery["choice"] == {"kind": "pickup_point", "pickup_point": "kiosk-hm"}
    assert recovery["pickup_point"]["address"]["geo"] == {"lat": KIOSK[0], "lng": KIOSK[1]}
    assert recovery["customer_address"] == HOME
    assert validate_document("events/recovery.v1", recovery) == []
    codes = [e["data"]["code"] for e in events_of(client, tenant, f["delivery_id"], "delivery.exception")]
    assert "pickup_point_chosen" not in codes  # the hub routed it: nothing left for an operator

    fast_forward()
    fast_forward()
    # The day the depot plans it: the window's start on the depot's calendar. The test's depot keeps an offset that
    # makes its clock read 10:00 (tests/slots/setup.py), up to 12 hours either side of the window's, so that day
    # may be the window's day or the one before or after it.
    planned_day = delivery_day(doc, f["utc_offset_min"]).isoformat()
    assert planned_day == datetime.fromisoformat(doc["promised_window"]["start"]).astimezone(depot_zone).date().isoformat()
    rescheduled_to = rescheduled.astimezone(depot_zone).date().isoformat()
    if planned_day != rescheduled_to:  # the plan of the attempt it had been rescheduled to no longer holds it
        assert not client.get("/api/v1/plans", query_string={"date": rescheduled_to},
                              headers=tenant["headers"]).get_json()["items"]
    plans = client.get("/api/v1/plans", query_string={"date": planned_day},
                       headers=tenant["headers"]).get_json()["items"]
    assert plans, "the jobs re-planned the delivery for the day the point opens"
    detail = client.get(f"/api/v1/plans/{plans[0]['id']}", headers=tenant["headers"]).get_json()
    [stop] = [s for r in detail["routes"] for s in r["stops"]]
    assert stop["delivery_id"] == f["delivery_id"]
    # As instants: the window is in the recipient's offset, the stop in the depot's (its clock reads 10:00 now).
    window, service = doc["promised_window"], datetime.fromisoformat(stop["service_start"])
    assert datetime.fromisoformat(window["start"]) <= service <= datetime.fromisoformat(window["end"])
    with clean.sessions() as session:  # where the plan sends the van: the point
        problem = session.get(RoutePlanRow, plans[0]["id"]).problem
    [planned] = [s for s in problem["stops"] if s["id"] == f["delivery_id"]]
    assert planned["location"] == list(KIOSK)

    page = client.get(f"/t/{f['token']}?lang=en").get_data(as_text=True)
    assert "Pickup point" in page and "Kiosk Hackescher Markt, Rosenthaler Str. 40, 10178 Berlin" in page
    assert "Map with the pickup point" in page
    assert "Alexanderplatz" not in page  # the page shows where the parcel goes now, nothing else
    assert "Abholstelle" in client.get(f"/t/{f['token']}").get_data(as_text=True)  # an address in DE: German


def test_a_store_update_keeps_the_point_and_a_slot_brings_it_home(client, tenant, clean, fast_forward):  # type: ignore[no-untyped-def]
    f = failed_attempt(client, tenant, clean, fast_forward)
    assert client.put("/api/v1/settings/slots", headers=tenant["headers"],
                      json={"pickup_points": [_kiosk()]}).status_code == 200
    assert _choose_kiosk(client, f["token"]).status_code == 200
    fast_forward()

    # The store sends the order again (a note changed), with the recipient's address as it always was.
    with clean.sessions() as session:
        original = session.get(Delivery, f["delivery_id"]).document
    doc = json.loads((SCHEMAS_DIR / "examples" / "delivery_input.v1.json").read_text())
    doc.update({"source": original["source"], "dropoff": {"contact": original["dropoff"]["contact"], "address": HOME},
                "requirements": {}, "promised_window": original["promised_window"], "notes": "ring twice"})
    doc["source"] = {k: v for k, v in original["source"].items() if k not in ("connector",)}
    doc.pop("pickup", None)
    doc.pop("declared_value", None)
    assert client.post("/api/v1/deliveries", json=doc, headers=tenant["headers"]).status_code == 202
    with clean.sessions() as session:
        kept = session.get(Delivery, f["delivery_id"]).document
    assert kept["notes"] == "ring twice"
    assert kept["dropoff"]["pickup_point"]["id"] == "kiosk-hm" and kept["dropoff"]["address"]["line1"] == "Rosenthaler Str. 40"

    # The recipient changes their mind: a new slot at home brings the delivery back to their own address.
    url = f"/t/{f['token']}/next"
    html = client.get(url).get_data(as_text=True)
    starts = re.findall(r'name="window_start" value="([^"]+)"', html)
    assert starts, html
    booked = client.post(url, data={"nonce": nonce_of(html), "choice": "slot", "window_start": starts[-1]})
    assert booked.status_code == 200, booked.get_data(as_text=True)
    with clean.sessions() as session:
        home = session.get(Delivery, f["delivery_id"]).document
    assert home["dropoff"]["address"] == HOME and "pickup_point" not in home["dropoff"]
    assert home["promised_window"]["start"] == starts[-1]


def test_a_point_without_coordinates_still_goes_to_an_operator(client, tenant, clean, fast_forward):  # type: ignore[no-untyped-def]
    f = failed_attempt(client, tenant, clean, fast_forward)
    assert client.put("/api/v1/settings/slots", headers=tenant["headers"], json={"pickup_points": [
        {"id": "kiosk-hm", "name": "Kiosk Hackescher Markt", "address": "Rosenthaler Str. 40, 10178 Berlin"}]}).status_code == 200
    assert _choose_kiosk(client, f["token"]).status_code == 200
    with clean.sessions() as session:
        doc = session.get(Delivery, f["delivery_id"]).document
    assert doc["dropoff"]["address"]["line1"] == "Alexanderplatz 1" and "pickup_point" not in doc["dropoff"]
    codes = [e["data"]["code"] for e in events_of(client, tenant, f["delivery_id"], "delivery.exception")]
    assert "pickup_point_chosen" in codes


def test_pickup_point_settings_name_the_bad_field(client, tenant):  # type: ignore[no-untyped-def]
    cases = [({"lat": 52.5}, "$.pickup_points[0]"), ({"opening_hours": {"mon": {"open": "19:00", "close": "09:00"}}},
                                                    "$.pickup_points[0].opening_hours.mon"),
             ({"opening_hours": {"someday": {"open": "09:00", "close": "10:00"}}}, "$.pickup_points[0].opening_hours")]
    for extra, path in cases:
        body = {"pickup_points": [{"id": "p", "name": "P", "address": "Somewhere 1", **extra}]}
        answer = client.put("/api/v1/settings/slots", headers=tenant["headers"], json=body)
        assert answer.status_code == 422, (extra, answer.get_json())
        paths = [d["path"] for d in answer.get_json()["error"]["details"]]
        assert any(p.startswith(path) for p in paths), (extra, paths)
