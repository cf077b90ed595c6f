"""/t/<token>/next without JavaScript (the test client posts the forms as a browser without scripts would):
each choice is a delivery.recovery event decided by the customer; the nonce guards the forms."""

from __future__ import annotations

import re

from hub.db.engine import transaction
from hub.db.models import Delivery, Tenant
from tests.slots.setup import events_of, failed_attempt, nonce_of


def test_the_page_offers_open_windows_and_books_one(client, tenant, clean, fast_forward):  # type: ignore[no-untyped-def]
    f = failed_attempt(client, tenant, clean, fast_forward)
    page = client.get(f"/t/{f['token']}/next")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    starts = re.findall(r'name="window_start" value="([^"]+)"', html)
    assert starts, html
    chosen = starts[-1]
    done = client.post(f"/t/{f['token']}/next", data={"nonce": nonce_of(html), "choice": "slot", "window_start": chosen})
    assert done.status_code == 200, done.get_data(as_text=True)
    assert "Your delivery is booked for" in done.get_data(as_text=True)
    with clean.sessions() as session:
        delivery = session.get(Delivery, f["delivery_id"])
        assert delivery.document["promised_window"]["start"] == chosen
    recovery = events_of(client, tenant, f["delivery_id"], "delivery.recovery")[-1]
    assert recovery["data"]["decided_by"] == {"kind": "customer"}
    assert recovery["actor"]["kind"] == "customer"
    fast_forward()
    fast_forward()
    plans = client.get("/api/v1/plans", query_string={"date": chosen[:10]}, headers=tenant["headers"]).get_json()
    assert plans["items"], plans
    detail = client.get(f"/api/v1/plans/{plans['items'][0]['id']}", headers=tenant["headers"]).get_json()
    stops = [s for r in detail["routes"] for s in r["stops"]]
    assert [s["delivery_id"] for s in stops] == [f["delivery_id"]]
    assert stops[0]["service_start"] >= chosen


def test_safe_place_pickup_point_and_address_requests(client, tenant, clean, fast_forward):  # type: ignore[no-untyped-def]
    f = failed_attempt(client, tenant, clean, fast_forward)
    with transaction(clean.sessions) as session:
        row = session.get(Tenant, tenant["id"])
        row.settings = {**row.settings, "slots": {"pickup_points": [
            {"id": "kiosk-alex", "name": "Kiosk am Alex", "address": "Alexanderplatz 3, 10178 Berlin"}]}}
    url = f"/t/{f['token']}/next"
    html = client.get(url).get_data(as_text=True)
    assert "Kiosk am Alex" in html
    missing = client.post(url, data={"nonce": nonce_of(html), "choice": "leave", "leave": "neighbour", "instructions": " "})
    assert missing.status_code == 422 and "which neighbour" in missing.get_data(as_text=True)
    left = client.post(url, data={"nonce": nonce_of(html), "choice": "leave", "leave": "neighbour",
                                  "instructions": "Herr Braun, door 4B"})
    assert left.status_code == 200, left.get_data(as_text=True)
    with clean.sessions() as session:
        doc = session.get(Delivery, f["delivery_id"]).document
        assert doc["dropoff"]["access"]["instructions"].startswith("Leave with neighbour (the recipient's words): Herr Braun")
        assert doc["dropoff"]["address"]["line1"] == "Alexanderplatz 1"  # the address itself never changes here
    picked = client.post(url, data={"nonce": nonce_of(html), "choice": "pickup", "pickup_point": "kiosk-alex"})
    assert picked.status_code == 200 and "Kiosk am Alex" in picked.get_data(as_text=True)
    asked = client.post(url, data={"nonce": nonce_of(html), "choice": "address", "note": "I moved to Torstr. 5"})
    assert asked.status_code == 200
    codes = [e["data"]["code"] for e in events_of(client, tenant, f["delivery_id"], "delivery.exception")]
    assert "pickup_point_chosen" in codes and "address_change_requested" in codes
    choices = [e["data"].get("choice", {}).get("kind") for e in events_of(client, tenant, f["delivery_id"], "delivery.recovery")]
    assert "neighbour" in choices and "pickup_point" in choices


def test_forms_need_the_pages_nonce_and_a_real_token(client, tenant, clean, fast_forward):  # type: ignore[no-untyped-def]
    f = failed_attempt(client, tenant, clean, fast_forward)
    forged = client.post(f"/t/{f['token']}/next", data={"nonce": "1.abc", "choice": "address", "note": "x"})
    assert forged.status_code == 400
    assert not [e for e in events_of(client, tenant, f["delivery_id"], "delivery.exception")
                if e["data"]["code"] == "address_change_requested"]
    assert client.get("/t/not-a-token/next").status_code == 404
