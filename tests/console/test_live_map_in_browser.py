"""The live map in a real headless Chromium: with the page open, a driver's new position and a stop's new
state appear without a reload, through the server-sent events, also after the stream has ended and the
browser has reconnected; axe-core finds no serious or critical violation in the map as updated."""

from __future__ import annotations

import time
from datetime import datetime, timezone

from selenium.webdriver.common.by import By

from hub.console import live
from tests.browser import axe_violations, wait_for
from tests.console.day import seed_day
from tests.console.people import PASSWORD, person
from tests.console.test_live_map import FAST_POLL_S
from tests.fixtures import make_key

LAPTOP = (1366, 900)
SHORT_STREAM_S = 3  # streams end quickly here: the page must keep up across the browser's reconnects


def _map_shows(browser, text: str, timeout_s: float = 20) -> None:  # type: ignore[no-untyped-def]
    wait_for(browser, timeout_s, lambda b: text in b.find_element(By.ID, "live-map").get_attribute("innerHTML"))


def _ping(client, key, lat: float, lng: float) -> None:  # type: ignore[no-untyped-def]
    points = [{"lat": lat, "lng": lng, "recorded_at": datetime.now(timezone.utc).isoformat()}]
    answer = client.post("/api/v1/driver/pings", json={"points": points}, headers=key)
    assert answer.status_code == 202, answer.get_json()


def test_a_new_position_and_a_stop_change_appear_on_the_open_map(browser, app, hub_url, client, clean, tenant,  # type: ignore[no-untyped-def]
                                                                  run_jobs, monkeypatch):
    monkeypatch.setattr(live, "POLL_S", FAST_POLL_S)
    app.config["HUB_CONSOLE_STREAM_S"] = SHORT_STREAM_S
    day = seed_day(client, clean, tenant, run_jobs)
    browser.set_window_size(*LAPTOP)
    browser.get(f"{hub_url}/console/login")
    browser.find_element(By.ID, "email").send_keys(person(clean, tenant["name"], "viewer"))
    browser.find_element(By.ID, "password").send_keys(PASSWORD)
    browser.find_element(By.CSS_SELECTOR, "form.stack button[type=submit]").click()
    wait_for(browser, 20, lambda b: "/console/today" in b.current_url)

    browser.get(f"{hub_url}/console/map?day={day.day.isoformat()}")
    wait_for(browser, 20, lambda b: "Live: updated" in b.find_element(By.ID, "map-updated").text)
    assert "52.5150" not in browser.find_element(By.ID, "live-map").text
    browser.execute_script("window.sameDocument = true;")

    jonas = make_key(clean, tenant["id"], "driver", day.drivers[0])
    _ping(client, jonas, 52.5150, 13.3990)
    _map_shows(browser, "52.5150")

    plan = client.get(f"/api/v1/plans/{day.plan_id}", headers=tenant["headers"]).get_json()
    route = next(r for r in plan["routes"] if r["driver_id"] == day.drivers[0])
    pending = next(s["delivery_id"] for s in route["stops"] if s["state"] == "pending")
    order = next(number for number, delivery_id in day.orders.items() if delivery_id == pending)
    arrived = client.post(f"/api/v1/driver/stops/{pending}/arrive?date={day.day.isoformat()}", json={}, headers=jonas)
    assert arrived.status_code in (200, 202), arrived.get_json()
    run_jobs()  # the worker writes the stop's progress onto the plan
    _map_shows(browser, f"BER-{order} (arrived)")

    time.sleep(SHORT_STREAM_S + 1)  # the stream the page opened has ended by now
    _ping(client, jonas, 52.5161, 13.4001)  # a stream later: the browser reconnected by itself
    _map_shows(browser, "52.5161")
    assert browser.execute_script("return window.sameDocument === true;"), "the map changed without a reload"
    assert not axe_violations(browser), "map, live"

