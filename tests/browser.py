"""Pages tested as a person uses them: a real headless Chromium (Debian's `chromium` + `chromium-driver`)
driven by Selenium, and axe-core (tests/browser_assets/axe.min.js, npm axe-core 4.14.1, MPL-2.0) injected
into the page to check accessibility.

Use the `browser` fixture (a phone-sized window; `browser.set_window_size` for a laptop) with `hub_url`
(the hub served on a free 127.0.0.1 port). `axe_violations(browser)` answers the serious and critical
violations of the page as loaded, each as "rule-id: help (n nodes)".
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Iterator

import pytest

ASSETS = Path(__file__).resolve().parent / "browser_assets"
CHROMIUM = os.environ.get("HUB_TEST_CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("HUB_TEST_CHROMEDRIVER", "/usr/bin/chromedriver")
PHONE = (390, 844)  # an iPhone 12-14 viewport in CSS pixels


def _missing() -> str | None:
    for path in (CHROMIUM, CHROMEDRIVER):
        if not (Path(path).exists() or shutil.which(path)):
            return f"{path} not found (install Debian's chromium and chromium-driver; .ci/run does)"
    return None


@pytest.fixture(scope="session")
def _chrome_session() -> Iterator[object]:
    problem = _missing()
    if problem:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI: {problem}")
        pytest.skip(problem)
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                 "--lang=en-US", "--disable-extensions", "--no-first-run"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture
def browser(_chrome_session):  # type: ignore[no-untyped-def]
    """One Chromium for the whole run; every test starts on a blank page, phone-sized, without cookies."""
    driver = _chrome_session
    driver.delete_all_cookies()
    driver.set_window_size(*PHONE)
    driver.get("about:blank")
    return driver


def wait_for(driver, timeout_s: float, condition):  # type: ignore[no-untyped-def]
    """Wait until `condition(driver)` holds. An element read while the page is being replaced (a form posted, a
    live update) is stale or missing for a moment: that is "not yet", not a failure."""
    from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, timeout_s, ignored_exceptions=(NoSuchElementException, StaleElementReferenceException)
                         ).until(condition)


def axe_violations(driver, impacts: tuple[str, ...] = ("serious", "critical")) -> list[str]:  # type: ignore[no-untyped-def]
    """Run axe-core on the current page; answer the violations of the given impacts."""
    driver.execute_script((ASSETS / "axe.min.js").read_text(encoding="utf-8"))
    result = driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "axe.run(document).then(r => done(r.violations)).catch(e => done({error: String(e)}));"
    )
    if isinstance(result, dict) and "error" in result:
        raise AssertionError(f"axe-core failed: {result['error']}")
    return [f"{v['id']}: {v['help']} ({len(v['nodes'])} nodes)" for v in result if v.get("impact") in impacts]


def page_weight_bytes(driver) -> int:  # type: ignore[no-untyped-def]
    """Bytes the page transferred (document, styles, scripts; images excluded), from the Resource Timing API."""
    return int(driver.execute_script(
        "const nav = performance.getEntriesByType('navigation')[0];"
        "let total = nav ? nav.encodedBodySize : 0;"
        "for (const r of performance.getEntriesByType('resource')) {"
        "  if (r.initiatorType !== 'img') total += r.encodedBodySize; }"
        "return total;"
    ))
