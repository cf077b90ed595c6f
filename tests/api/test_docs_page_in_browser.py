"""The API docs page, opened in a real Chromium: it renders from the hub's own assets, with no network."""

from __future__ import annotations

from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait


def test_the_api_docs_render_offline_in_a_browser(browser, hub_url):  # type: ignore[no-untyped-def]
    browser.set_window_size(1280, 900)
    browser.get(f"{hub_url}/api/docs")
    WebDriverWait(browser, 20).until(EC.presence_of_element_located((By.CSS_SELECTOR, ".opblock")))
    hosts = browser.execute_script(
        "return performance.getEntriesByType('resource').map(r => new URL(r.name).host)")
    assert set(hosts) <= {hub_url.removeprefix("http://")}, hosts
