"""The console as a person uses it, in a real headless Chromium at a laptop's size: sign in, find an order,
read its timeline, reschedule a failed attempt from the queue, mint and revoke a key; a viewer gets no
buttons; another tenant's operator finds nothing; axe-core finds no serious or critical violation. The live
map's updates have their own test (test_live_map_in_browser.py)."""

from __future__ import annotations

from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from tests.api.test_deliveries_api import example_input
from tests.browser import axe_violations, wait_for
from tests.console.day import seed_day
from tests.console.people import PASSWORD, other_tenant, person

LAPTOP = (1366, 900)


def _sign_in(browser, hub_url, email):  # type: ignore[no-untyped-def]
    browser.get(f"{hub_url}/console/login")
    assert not axe_violations(browser), "login page"
    browser.find_element(By.ID, "email").send_keys(email)
    browser.find_element(By.ID, "password").send_keys(PASSWORD)
    browser.find_element(By.CSS_SELECTOR, "form.stack button[type=submit]").click()


def _text(browser) -> str:  # type: ignore[no-untyped-def]
    return browser.find_element(By.TAG_NAME, "main").text


def _shows(browser, text: str) -> str:  # type: ignore[no-untyped-def]
    """Wait for the page a click led to (a form's POST, its redirect, the next page) to say `text`."""
    wait_for(browser, 20, lambda b: text in _text(b))
    return _text(browser)


def test_an_operator_works_through_the_day(browser, hub_url, client, clean, tenant, run_jobs):  # type: ignore[no-untyped-def]
    day = seed_day(client, clean, tenant, run_jobs)
    browser.set_window_size(*LAPTOP)
    _sign_in(browser, hub_url, person(clean, tenant["name"], "admin"))
    WebDriverWait(browser, 20).until(lambda b: "/console/today" in b.current_url)  # signed in
    browser.get(f"{hub_url}/console/today?day={day.day.isoformat()}")
    assert "13 of 13 deliveries" in _text(browser)
    assert not axe_violations(browser), "today"

    search = browser.find_element(By.ID, "f-q")
    search.send_keys(f"BER-{day.failed}")
    search.submit()
    _shows(browser, "1 of 13 deliveries")
    browser.find_element(By.LINK_TEXT, f"BER-{day.failed}").click()
    timeline = _shows(browser, f"Order BER-{day.failed}")
    assert "History verified" in timeline
    assert "delivery.status_changed" in timeline and "failed attempt" in timeline
    assert not axe_violations(browser), "timeline"

    browser.find_element(By.LINK_TEXT, "Exceptions").click()
    _shows(browser, "3 open")
    assert not axe_violations(browser), "exceptions"
    item = browser.find_element(By.CSS_SELECTOR, f'section.exception[data-delivery="{day.orders[day.failed]}"]')
    item.find_element(By.XPATH, ".//button[normalize-space()='Reschedule']").click()
    after = _shows(browser, "reschedule done")
    assert "2 open" in after
    assert not browser.find_elements(By.CSS_SELECTOR, f'section.exception[data-delivery="{day.orders[day.failed]}"]')

    for path, what in ((f"/console/map?day={day.day.isoformat()}", "Routes of Berlin Mitte"),
                       (f"/console/routes?day={day.day.isoformat()}", "Version 1"),
                       ("/console/integrations", "Write-backs that failed"), ("/console/people", "People who sign in")):
        browser.get(hub_url + path)
        assert what in browser.page_source, path
        assert not axe_violations(browser), path

    browser.get(f"{hub_url}/console/keys")
    assert not axe_violations(browser), "keys"
    browser.find_element(By.ID, "k-label").send_keys("warehouse system")
    browser.find_element(By.XPATH, "//button[normalize-space()='Mint key']").click()
    _shows(browser, "shown this once")
    key = browser.find_element(By.ID, "new-key").text
    assert key.startswith("hub_int_")
    assert client.get("/api/v1/deliveries", headers={"Authorization": f"Bearer {key}"}).status_code == 200
    assert not axe_violations(browser), "keys with a new key"
    browser.find_element(By.CSS_SELECTOR, f'button[aria-label="Revoke key {key[:12]}"]').click()
    _shows(browser, "is revoked")
    assert key not in browser.page_source
    assert client.get("/api/v1/deliveries", headers={"Authorization": f"Bearer {key}"}).status_code == 401


def test_a_viewer_gets_no_buttons_and_a_stranger_gets_nothing(browser, hub_url, client, clean, tenant, run_jobs):  # type: ignore[no-untyped-def]
    answer = client.post("/api/v1/deliveries", json=example_input("VIEW-1"), headers=tenant["headers"])
    delivery_id = answer.get_json()["id"]
    run_jobs()
    browser.set_window_size(*LAPTOP)
    _sign_in(browser, hub_url, person(clean, tenant["name"], "viewer"))
    WebDriverWait(browser, 20).until(lambda b: "/console/today" in b.current_url)  # signed in
    browser.get(f"{hub_url}/console/deliveries/{delivery_id}")
    assert "Order VIEW-1" in _text(browser)
    assert not browser.find_elements(By.CSS_SELECTOR, "main form"), "a viewer sees no action"
    assert "API keys" not in browser.find_element(By.TAG_NAME, "header").text
    browser.get(f"{hub_url}/console/exceptions")
    assert not browser.find_elements(By.CSS_SELECTOR, "main button")
    assert not axe_violations(browser), "exceptions, viewer"

    browser.delete_all_cookies()
    _sign_in(browser, hub_url, person(clean, other_tenant(clean)["name"], "admin"))
    WebDriverWait(browser, 20).until(lambda b: "/console/today" in b.current_url)
    browser.get(f"{hub_url}/console/deliveries/{delivery_id}")
    assert "Not found" in _text(browser) and "VIEW-1" not in browser.page_source
    assert not axe_violations(browser), "not found"
    browser.get(f"{hub_url}/console/today")
    assert "VIEW-1" not in browser.page_source


def test_the_analytics_page_opens_the_deliveries_behind_a_count(browser, hub_url, client, clean, tenant, run_jobs):  # type: ignore[no-untyped-def]
    day = seed_day(client, clean, tenant, run_jobs)
    browser.set_window_size(*LAPTOP)
    _sign_in(browser, hub_url, person(clean, tenant["name"], "viewer"))
    _shows(browser, "Deliveries of")
    browser.get(f"{hub_url}/console/analytics?to={day.day.isoformat()}&by=depot&period=day")
    _shows(browser, "On time, first attempt, cost and satisfaction")
    assert not axe_violations(browser), "analytics"
    first = browser.find_element(By.CSS_SELECTOR, "main table tbody tr td:nth-child(3) a")
    counted = int(first.text)
    first.click()
    page = _shows(browser, "deliveries")
    assert len(browser.find_elements(By.CSS_SELECTOR, "main ul li a.mono")) == counted, (counted, page)
    assert not axe_violations(browser), "deliveries behind a figure"
