"""The slot picker on a shop page and the next-attempt page, in a real headless Chromium (tests/browser.py).

The shop page is served by its own tiny server on 127.0.0.1, another origin than the hub: the picker calls the
hub across origins with a publishable key, as on a real shop."""

from __future__ import annotations

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Iterator

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

from hub.db.models import Delivery
from hub.db.models.slots import SlotReservation
from tests.browser import axe_violations
from tests.slots.setup import berlin_fleet, failed_attempt

SHOP_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Blumen Berlin: checkout</title></head>
<body><main><h1>Checkout</h1>
<form id="checkout" action="/order" method="post">
  <script src="{hub}/slots/picker.js" data-key="{key}" data-country="DE"></script>
  <button type="submit">Place order</button>
</form></main></body></html>"""


@pytest.fixture
def shop(request: Any) -> Iterator[dict[str, Any]]:
    """A shop page on 127.0.0.1 (its own port: its own origin); set page["html"] before opening it."""
    page: dict[str, Any] = {"html": ""}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (http.server's name)
            body = page["html"].encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    page["url"] = f"http://127.0.0.1:{server.server_port}"
    yield page
    server.shutdown()
    server.server_close()


def test_the_picker_on_a_shop_page_shows_windows_and_holds_one(browser, hub_url, client, tenant, clean, shop):  # type: ignore[no-untyped-def]
    berlin_fleet(client, tenant)
    minted = client.post("/api/v1/slots/publishable-keys", json={"label": "shop", "allowed_origins": [shop["url"]]},
                         headers=tenant["headers"])
    assert minted.status_code == 201, minted.get_json()
    shop["html"] = SHOP_PAGE.format(hub=hub_url, key=minted.get_json()["key"])
    browser.get(shop["url"])
    wait = WebDriverWait(browser, 20)
    postal = wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, ".hub-slots input[name=hub_postal_code]")))
    postal.send_keys("10178")
    browser.find_element(By.CSS_SELECTOR, ".hub-slots-show").click()
    wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, ".hub-slots-option input:not([disabled])")))
    assert axe_violations(browser) == []
    options = browser.find_elements(By.CSS_SELECTOR, ".hub-slots-option")
    assert len(options) == 6 and any("full" not in o.text for o in options)
    chosen = browser.find_element(By.CSS_SELECTOR, ".hub-slots-option input:not([disabled])")
    chosen.click()
    browser.find_element(By.CSS_SELECTOR, ".hub-slots-reserve").click()
    wait.until(EC.text_to_be_present_in_element((By.CSS_SELECTOR, ".hub-slots-status"), "Reserved"))
    held_id = browser.find_element(By.CSS_SELECTOR, "#checkout input[name=slot_reservation_id]").get_attribute("value")
    with clean.sessions() as session:
        row = session.get(SlotReservation, held_id)
        assert row is not None and row.state == "held" and row.channel == "picker"
        assert row.window_start.isoformat()[:16] == chosen.get_attribute("value")[:16]
    assert axe_violations(browser) == []


def test_the_next_attempt_page_books_a_new_slot_in_the_browser(browser, hub_url, client, tenant, clean, fast_forward):  # type: ignore[no-untyped-def]
    f = failed_attempt(client, tenant, clean, fast_forward)
    browser.get(f"{hub_url}/t/{f['token']}/next")
    wait = WebDriverWait(browser, 20)
    wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, "input[name=window_start]")))
    assert axe_violations(browser) == []
    radio = browser.find_elements(By.CSS_SELECTOR, "input[name=window_start]")[1]
    chosen = radio.get_attribute("value")
    radio.click()
    browser.find_element(By.ID, "book-slot").click()
    done = wait.until(EC.presence_of_element_located((By.ID, "done")))
    assert "booked for" in done.text
    assert axe_violations(browser) == []
    with clean.sessions() as session:
        assert session.get(Delivery, f["delivery_id"]).document["promised_window"]["start"] == chosen
    fast_forward()
    fast_forward()
    plans = client.get("/api/v1/plans", query_string={"date": chosen[:10]}, headers=tenant["headers"]).get_json()["items"]
    detail = client.get(f"/api/v1/plans/{plans[0]['id']}", headers=tenant["headers"]).get_json()
    stops = [s for r in detail["routes"] for s in r["stops"]]
    assert [s["delivery_id"] for s in stops] == [f["delivery_id"]]
    assert chosen <= stops[0]["service_start"]


def test_a_pickup_point_chosen_in_the_browser_becomes_the_destination_on_the_tracking_page(  # type: ignore[no-untyped-def]
        browser, hub_url, client, tenant, clean, fast_forward):
    from tests.browser import page_weight_bytes
    from tests.slots.test_pickup_point_recovery import KIOSK, _kiosk

    f = failed_attempt(client, tenant, clean, fast_forward)
    assert client.put("/api/v1/settings/slots", headers=tenant["headers"],
                      json={"pickup_points": [_kiosk()]}).status_code == 200
    browser.get(f"{hub_url}/t/{f['token']}/next")
    wait = WebDriverWait(browser, 20)
    wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, "input[name=pickup_point]"))).click()
    browser.find_element(By.XPATH, "//button[normalize-space()='Collect it there']").click()
    done = wait.until(EC.presence_of_element_located((By.ID, "done")))
    assert "Kiosk Hackescher Markt" in done.text
    assert axe_violations(browser) == []
    with clean.sessions() as session:
        address = session.get(Delivery, f["delivery_id"]).document["dropoff"]["address"]
    assert (address["geo"]["lat"], address["geo"]["lng"]) == KIOSK

    browser.get(f"{hub_url}/t/{f['token']}?lang=en")
    shown = wait.until(EC.visibility_of_element_located((By.ID, "destination")))
    assert shown.text == "Kiosk Hackescher Markt, Rosenthaler Str. 40, 10178 Berlin"
    time.sleep(2)  # the live stream's first update has come: it keeps the destination (it once blanked it)
    assert browser.find_element(By.ID, "destination").text == "Kiosk Hackescher Markt, Rosenthaler Str. 40, 10178 Berlin"
    assert axe_violations(browser) == []
    assert page_weight_bytes(browser) < 100_000
