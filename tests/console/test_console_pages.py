"""The console's pages on a realistic day (tests/console/day.py), through the test client: Today finds
deliveries, the timeline shows everything recorded about one, the queue's actions are events with the
operator as actor, routes move stops, keys are minted once and revoked, subscriptions replay."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from hub.db.models import Delivery, DeliveryEvent
from hub.db.models.planning import RoutePlanRow
from hub.console import exceptions
from hub.console.exceptions import open_items
from tests.console.day import ADDRESSES, Day, delivery_input, seed_day
from tests.console.people import person, sign_in


@pytest.fixture
def day(client, clean, tenant, run_jobs) -> Day:  # type: ignore[no-untyped-def]
    return seed_day(client, clean, tenant, run_jobs)


def _queue(runtime, tenant_id):  # type: ignore[no-untyped-def]
    with runtime.sessions() as session:
        return {(i.delivery.external_id, i.kind) for i in open_items(session, tenant_id)}


def _last_event(runtime, delivery_id):  # type: ignore[no-untyped-def]
    with runtime.sessions() as session:
        return session.execute(select(DeliveryEvent).where(DeliveryEvent.delivery_id == delivery_id)
                               .order_by(DeliveryEvent.sequence.desc()).limit(1)).scalar_one()


def test_today_finds_deliveries_and_the_timeline_tells_their_story(app, clean, tenant, day):  # type: ignore[no-untyped-def]
    viewer = sign_in(app, person(clean, tenant["name"], "viewer"))
    page = viewer.get(f"/console/today?day={day.day.isoformat()}").get_data(as_text=True)
    assert "13 of 13 deliveries" in page and "Berlin Mitte 12" in page and "not assigned 1" in page
    for query, expected in (("BER-1043", "Paul Fischer"), ("Fischer", "BER-1043"), ("10119", "Emma Wagner")):
        found = viewer.get(f"/console/today?day={day.day.isoformat()}&q={query}").get_data(as_text=True)
        assert "1 of 13 deliveries" in found and expected in found, query
    failed = viewer.get(f"/console/today?day={day.day.isoformat()}&status=failed_attempt").get_data(as_text=True)
    assert "1 of 13" in failed and "BER-1043" in failed

    story = viewer.get(f"/console/deliveries/{day.orders[day.mismatch]}").get_data(as_text=True)
    assert "History verified" in story and "hash chain intact" in story
    assert "delivery.pod_captured" in story and re.search(r"/media/med_\w+\?expires=\d+&amp;signature=", story)
    assert "Attempt 1: Berlin Mitte" in story and "rank" in story.lower()  # the decision with its candidates
    assert "Vehicle" in story and "delivery.status_changed" in story and "/t/" in story


def test_an_order_placed_weeks_ahead_is_listed_on_the_day_it_is_due(app, client, clean, tenant):  # type: ignore[no-untyped-def]
    due = date.today() + timedelta(days=30)  # the page once looked only two weeks back from the day shown
    answer = client.post("/api/v1/deliveries", json=delivery_input(7001, ADDRESSES[0], due, 60, (9, 11)),
                         headers=tenant["headers"])
    assert answer.status_code == 202, answer.get_json()
    viewer = sign_in(app, person(clean, tenant["name"], "viewer"))
    assert "BER-7001" in viewer.get(f"/console/today?day={due.isoformat()}").get_data(as_text=True)
    assert "BER-7001" not in viewer.get(f"/console/today?day={date.today().isoformat()}").get_data(as_text=True)


def test_a_long_queue_lists_the_most_urgent_and_says_how_many_more(app, clean, tenant, day, monkeypatch):  # type: ignore[no-untyped-def]
    monkeypatch.setattr(exceptions, "SHOWN", 2)
    viewer = sign_in(app, person(clean, tenant["name"], "viewer"))
    page = viewer.get("/console/exceptions").get_data(as_text=True)
    assert "3 open" in page and page.count('class="card exception"') == 2
    assert "The 2 most urgent of 3 are shown" in page
    assert f"BER-{day.outside}" in page  # needs_attention is an error: it comes first


def test_the_exceptions_queue_and_its_actions(app, clean, tenant, day, run_jobs):  # type: ignore[no-untyped-def]
    failed, mismatch, outside = (f"BER-{day.failed}", f"BER-{day.mismatch}", f"BER-{day.outside}")
    assert _queue(clean, tenant["id"]) == {(failed, "failed_attempt"), (mismatch, "address_mismatch"),
                                            (outside, "needs_attention")}
    email = person(clean, tenant["name"], "dispatcher")
    dispatcher = sign_in(app, email)
    page = dispatcher.get("/console/exceptions").get_data(as_text=True)
    assert "3 open" in page and "completed 6" in page and "Reschedule" in page

    moved = dispatcher.post(f"/console/deliveries/{day.orders[day.failed]}/actions/reschedule",
                            data={"csrf_token": dispatcher.csrf, "back": "/console/exceptions"})
    assert moved.status_code == 302 and moved.headers["Location"] == "/console/exceptions"
    recovery = _last_event(clean, day.orders[day.failed])
    assert recovery.type == "delivery.recovery" and recovery.data["action"] == "reschedule"
    assert recovery.actor["kind"] == "operator" and recovery.actor["email"] == email and recovery.actor["id"].startswith("usr_")
    assert (failed, "failed_attempt") not in _queue(clean, tenant["id"])
    assert "2 open" in dispatcher.get("/console/exceptions").get_data(as_text=True)

    noted = dispatcher.post(f"/console/deliveries/{day.orders[day.outside]}/actions/contact",
                            data={"csrf_token": dispatcher.csrf, "note": "Customer asks to ship to Munich by carrier"})
    assert noted.status_code == 302
    note = _last_event(clean, day.orders[day.outside])
    assert note.type == "delivery.operator_note" and note.data["note"].startswith("Customer asks")
    assert note.actor == {"kind": "operator", "id": recovery.actor["id"], "email": email}
    empty = dispatcher.post(f"/console/deliveries/{day.orders[day.outside]}/actions/resolve",
                            data={"csrf_token": dispatcher.csrf, "note": ""})
    assert empty.status_code == 302 and _last_event(clean, day.orders[day.outside]).type == "delivery.operator_note"
    dispatcher.post(f"/console/deliveries/{day.orders[day.mismatch]}/actions/resolve",
                    data={"csrf_token": dispatcher.csrf, "note": "customer confirmed: handed over next door"})
    resolved = _last_event(clean, day.orders[day.mismatch])
    assert resolved.type == "delivery.exception_resolved" and resolved.data["kinds"] == ["address_mismatch"]
    assert _queue(clean, tenant["id"]) == {(outside, "needs_attention")}
    refused = dispatcher.post(f"/console/deliveries/{day.orders[day.mismatch]}/actions/reschedule",
                              data={"csrf_token": dispatcher.csrf}, follow_redirects=True)
    assert "follows a failed attempt" in refused.get_data(as_text=True)
    run_jobs()  # the policy does nothing more: the operator acted first (the new window is assigned again)
    with clean.sessions() as session:
        recoveries = session.execute(select(DeliveryEvent).where(
            DeliveryEvent.delivery_id == day.orders[day.failed], DeliveryEvent.type == "delivery.recovery")).scalars().all()
        assert [r.actor["kind"] for r in recoveries] == ["operator"]
        assert session.get(Delivery, day.orders[day.failed]).status in ("assigned", "planned", "rescheduled")


def test_routes_map_and_moving_a_stop(app, clean, tenant, day, run_jobs):  # type: ignore[no-untyped-def]
    dispatcher = sign_in(app, person(clean, tenant["name"], "dispatcher"))
    picture = dispatcher.get(f"/console/map?day={day.day.isoformat()}").get_data(as_text=True)
    assert picture.count("<polyline") >= 1 and "Jonas" in picture and 'role="img"' in picture
    page = dispatcher.get(f"/console/routes?day={day.day.isoformat()}").get_data(as_text=True)
    assert "Version 1" in page and "Pin and re-plan" in page
    with clean.sessions() as session:
        plan = session.get(RoutePlanRow, day.plan_id)
        pending = next(v["stop_id"] for r in plan.plan["routes"] for v in r["visits"][4:5])
        vehicle = plan.plan["routes"][0]["vehicle_id"]
    moved = dispatcher.post(f"/console/routes/{day.plan_id}/stops/{pending}/move",
                            data={"csrf_token": dispatcher.csrf, "vehicle_id": vehicle, "position": "1"})
    assert moved.status_code == 302
    run_jobs()
    with clean.sessions() as session:
        versions = session.execute(select(RoutePlanRow).where(RoutePlanRow.depot_id == day.depot_id)
                                   .order_by(RoutePlanRow.version)).scalars().all()
    assert len(versions) == 2 and versions[-1].trigger == "console.move"
    after = dispatcher.get(f"/console/routes?day={day.day.isoformat()}").get_data(as_text=True)
    assert "Version 2" in after and "(pinned)" in after


def test_keys_are_minted_once_and_revoked_and_subscriptions_replay(app, client, clean, tenant, day, run_jobs):  # type: ignore[no-untyped-def]
    admin = sign_in(app, person(clean, tenant["name"], "admin"))
    minted = admin.post("/console/keys", data={"csrf_token": admin.csrf, "role": "driver",
                                               "subject_driver": day.drivers[1], "label": "Aylin's phone"})
    assert minted.status_code == 201
    key = re.search(r'id="new-key">(hub_dri_[\w-]+)<', minted.get_data(as_text=True)).group(1)
    route = client.get(f"/api/v1/driver/route?date={day.day.isoformat()}", headers={"Authorization": f"Bearer {key}"})
    assert route.status_code == 200
    listing = admin.get("/console/keys").get_data(as_text=True)
    assert key not in listing and key[:12] in listing  # shown once, then only its first characters
    key_id = re.search(r'data-key-id="(key_\w+)">\s*<td class="mono">' + re.escape(key[:12]), listing).group(1)
    assert admin.post(f"/console/keys/{key_id}/revoke", data={"csrf_token": admin.csrf}).status_code == 302
    assert client.get("/api/v1/driver/route", headers={"Authorization": f"Bearer {key}"}).status_code == 401
    missing = admin.post("/console/keys", data={"csrf_token": admin.csrf, "role": "carrier"})
    assert missing.status_code == 422 and "give its id as the subject" in missing.get_data(as_text=True)

    subscription = client.post("/api/v1/subscriptions", json={"url": "http://127.0.0.1:9/hook",
                                                              "event_types": ["delivery.*"]},
                               headers=tenant["headers"]).get_json()
    health = admin.get("/console/integrations").get_data(as_text=True)
    assert "http://127.0.0.1:9/hook" in health and "Replay the last 24 hours" in health
    replayed = admin.post(f"/console/integrations/subscriptions/{subscription['id']}/replay",
                          data={"csrf_token": admin.csrf}, follow_redirects=True)
    assert re.search(r"\d+ message\(s\) queued again", replayed.get_data(as_text=True))
