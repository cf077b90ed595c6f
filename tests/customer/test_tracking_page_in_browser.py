"""The tracking page in a real headless Chromium at phone size: it follows the driver live (server-sent events,
no reload), takes a rating through its form, passes axe-core and weighs under 100 KB before images."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from selenium.webdriver.common.by import By
from sqlalchemy import select

from hub.db.models import DeliveryEvent
from tests.browser import axe_violations, page_weight_bytes, wait_for
from tests.customer.scene import BERLIN, arrive, complete, fail, ping, plan_day, start_route
from tests.tracking.setup import DEPOT

# The page's budget before images: a phone on a weak connection still shows it at once.
MAX_PAGE_BYTES = 100_000


def text(browser: Any, element_id: str) -> str:
    return browser.find_element(By.ID, element_id).text


def test_the_page_follows_the_driver_live_without_reloading(browser, hub_url, app, client, tenant, clean,
                                                            run_jobs) -> None:
    app.config["HUB_TRACKING_STREAM_S"] = 6  # short streams: the page must also survive its reconnects
    # The window is open already: estimates follow the road, not the window's start.
    scene = plan_day(client, tenant, clean, run_jobs, window_start=datetime.now(BERLIN) - timedelta(hours=1))
    start_route(client, scene, run_jobs)
    ping(client, scene, DEPOT, run_jobs)  # the van leaves the depot
    browser.get(f"{hub_url}{scene.path()}?lang=en")
    assert text(browser, "headline") == "On the way"
    assert text(browser, "stops") == "2 stops before you"
    eta_before = text(browser, "eta")
    assert eta_before and browser.find_elements(By.CSS_SELECTOR, "#map .map-driver")
    browser.execute_script("window.stillTheSamePage = true;")

    arrive(client, scene, "alex", run_jobs)  # the driver at the previous-but-one stop, through the driver API
    complete(client, scene, "alex", run_jobs)
    wait_for(browser, 20, lambda b: text(b, "stops") == "1 stop before you")
    wait_for(browser, 20, lambda b: text(b, "eta") != eta_before)
    assert browser.execute_script("return window.stillTheSamePage === true;")  # updated in place

    assert axe_violations(browser) == []
    weight = page_weight_bytes(browser)
    assert 0 < weight < MAX_PAGE_BYTES, weight

    arrive(client, scene, "hackescher", run_jobs)
    complete(client, scene, "hackescher", run_jobs)
    wait_for(browser, 20, lambda b: text(b, "stops") == "Your stop is next")
    assert browser.execute_script("return window.stillTheSamePage === true;")
    browser.get("about:blank")  # closes the stream


def test_the_customer_rates_the_delivery_from_the_page(browser, hub_url, client, tenant, clean, run_jobs) -> None:
    scene = plan_day(client, tenant, clean, run_jobs)
    start_route(client, scene, run_jobs)
    arrive(client, scene, "tor", run_jobs)
    complete(client, scene, "tor", run_jobs)
    browser.get(f"{hub_url}{scene.path()}?lang=en")
    assert text(browser, "headline") == "Delivered"
    photo = browser.find_element(By.CSS_SELECTOR, ".proof img.thumb")
    # The photo loads after the page: wait for it rather than race it (a loaded machine is slow to serve it).
    wait_for(browser, 30, lambda b: b.execute_script("return arguments[0].complete && arguments[0].naturalWidth > 0;",
                                                     photo))
    assert axe_violations(browser) == []

    browser.find_element(By.CSS_SELECTOR, 'input[name="rating"][value="5"]').click()
    browser.find_element(By.ID, "comment").send_keys("Right on time, thank you!")
    browser.find_element(By.CSS_SELECTOR, "#rating button[type=submit]").click()
    wait_for(browser, 30, lambda b: "You rated this delivery 5 of 5." in b.find_element(By.ID, "rating").text)
    with clean.sessions() as session:
        [rated] = session.execute(select(DeliveryEvent.data).where(
            DeliveryEvent.delivery_id == scene.ids["tor"], DeliveryEvent.type == "delivery.rated")).scalars().all()
    assert rated == {"rating": 5, "comment": "Right on time, thank you!"}


def test_a_failed_attempt_page_is_accessible_and_links_on(browser, hub_url, client, tenant, clean, run_jobs) -> None:
    scene = plan_day(client, tenant, clean, run_jobs)
    start_route(client, scene, run_jobs)
    fail(client, scene, "tor", run_jobs, "access_denied")
    browser.get(f"{hub_url}{scene.path()}?lang=fr")
    assert "Le livreur n'a pas pu entrer." in browser.find_element(By.CSS_SELECTOR, ".failed").text
    link = browser.find_element(By.LINK_TEXT, "Choisissez la suite")
    assert link.get_attribute("href") == f"{hub_url}{scene.path()}/next?lang=fr"
    assert axe_violations(browser) == []
    browser.get("about:blank")
