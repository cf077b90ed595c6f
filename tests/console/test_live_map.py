"""The live map's server-sent events (/console/map/events) over HTTP, on a realistic day
(tests/console/day.py): only a signed-in operator of the depot's tenant gets a stream, it sends the map drawn
again after a driver's ping and after a stop changes state, and a person removed while watching is let go."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

import pytest

from hub.accounts.users import remove_user
from hub.console import live
from hub.db.engine import transaction
from tests.console.day import Day, seed_day
from tests.console.people import other_tenant, person, sign_in
from tests.fixtures import make_key

# Every look of a stream, in these tests: fast enough that waiting for news takes well under a second.
FAST_POLL_S = 0.1


@pytest.fixture
def day(client, clean, tenant, run_jobs, monkeypatch) -> Day:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(live, "POLL_S", FAST_POLL_S)
    return seed_day(client, clean, tenant, run_jobs)


def events(answer: Any, until: Callable[[str, str], bool], looks: int = 60) -> list[tuple[str, str]]:
    """(event name, data) of the stream's events up to the first for which `until(name, data)` holds; fails
    when it has not come within `looks` chunks (comment lines included)."""
    seen: list[tuple[str, str]] = []
    for _, chunk in zip(range(looks), answer.response):
        lines = chunk.decode().strip().split("\n")
        if not lines[-1].startswith("data: "):
            continue  # the retry field or a "still here" comment
        name = next((line[7:] for line in lines if line.startswith("event: ")), "message")
        seen.append((name, "\n".join(line[6:] for line in lines if line.startswith("data: "))))
        if until(*seen[-1]):
            return seen
    raise AssertionError(f"no such event within {looks} looks; seen: {[s[0] for s in seen]}")


def html_of(data: str) -> str:
    return json.loads(data)["html"]  # type: ignore[no-any-return]


def test_the_stream_sends_the_map_again_after_a_ping_and_a_stop_change(app, clean, tenant, day, run_jobs) -> None:  # type: ignore[no-untyped-def]
    viewer = sign_in(app, person(clean, tenant["name"], "viewer"))
    answer = viewer.get(f"/console/map/events?day={day.day.isoformat()}")
    assert answer.status_code == 200 and answer.mimetype == "text/event-stream"
    assert answer.headers["Cache-Control"] == "no-store"
    first = html_of(events(answer, lambda name, data: True)[0][1])
    assert "Routes of Berlin Mitte" in first and "Jonas" in first and "52.5150" not in first

    jonas = make_key(clean, tenant["id"], "driver", day.drivers[0])
    ping = {"points": [{"lat": 52.5150, "lng": 13.3990, "recorded_at": datetime.now(timezone.utc).isoformat()}]}
    assert viewer.post("/api/v1/driver/pings", json=ping, headers=jonas).status_code == 202
    events(answer, lambda name, data: "52.5150" in html_of(data))

    next_stop = _pending_stop_of(viewer, clean, tenant, day)
    key = make_key(clean, tenant["id"], "driver", next_stop[0])
    arrived = viewer.post(f"/api/v1/driver/stops/{next_stop[1]}/arrive?date={day.day.isoformat()}", json={}, headers=key)
    assert arrived.status_code in (200, 202), arrived.get_json()
    run_jobs()  # the worker writes the stop's progress onto the plan
    events(answer, lambda name, data: f"{next_stop[2]} (arrived)" in html_of(data))
    answer.close()


def _pending_stop_of(client, runtime, tenant, day: Day) -> tuple[str, str, str]:  # type: ignore[no-untyped-def]
    """(driver id, delivery id, order) of a stop still pending on a started route: the first driver's next."""
    plan = client.get(f"/api/v1/plans/{day.plan_id}", headers=tenant["headers"]).get_json()
    orders = {v: k for k, v in day.orders.items()}
    for route in plan["routes"]:
        for stop in route["stops"]:
            if route["driver_id"] == day.drivers[0] and stop["state"] == "pending":
                return route["driver_id"], stop["delivery_id"], f"BER-{orders[stop['delivery_id']]}"
    raise AssertionError("the seeded day has a pending stop on the started route")


def test_only_a_signed_in_operator_of_the_tenant_gets_a_stream(app, client, clean, tenant, day) -> None:  # type: ignore[no-untyped-def]
    signed_out = client.get(f"/console/map/events?depot={day.depot_id}")
    assert signed_out.status_code == 401 and signed_out.mimetype != "text/event-stream"

    stranger = sign_in(app, person(clean, other_tenant(clean)["name"], "admin"))
    assert stranger.get(f"/console/map/events?depot={day.depot_id}").status_code == 404
    theirs = stranger.get(f"/console/map/events?day={day.day.isoformat()}")  # their own tenant: no depot at all
    shown = html_of(events(theirs, lambda name, data: True)[0][1])
    theirs.close()
    assert "no depot yet" in shown and "Berlin Mitte" not in shown and "Jonas" not in shown


def test_a_person_removed_while_watching_is_let_go(app, clean, tenant, day) -> None:  # type: ignore[no-untyped-def]
    email = person(clean, tenant["name"], "dispatcher")
    dispatcher = sign_in(app, email)
    answer = dispatcher.get(f"/console/map/events?depot={day.depot_id}&day={day.day.isoformat()}")
    events(answer, lambda name, data: name == "message")
    with transaction(clean.sessions) as session:
        remove_user(session, email)
    assert events(answer, lambda name, data: name == "gone")[-1] == ("gone", "{}")
    assert list(answer.response) == [], "the stream ends after saying so"


def test_without_javascript_the_map_page_reloads_itself(app, clean, tenant, day) -> None:  # type: ignore[no-untyped-def]
    page = sign_in(app, person(clean, tenant["name"], "viewer")).get(f"/console/map?day={day.day.isoformat()}")
    html = page.get_data(as_text=True)
    assert '<noscript><meta http-equiv="refresh" content="60"></noscript>' in html
    assert f'data-events="/console/map/events?depot={day.depot_id}&amp;day={day.day.isoformat()}"' in html
    assert ">Reload now</a>" in html
