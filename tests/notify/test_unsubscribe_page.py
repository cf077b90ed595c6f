"""The unsubscribe page in a real headless Chromium: one click opts out and says so, the "subscribe again"
button works without JavaScript, and axe-core finds nothing serious or critical."""

from __future__ import annotations

from selenium.webdriver.common.by import By

from hub.notify.optout import is_opted_out
from tests.browser import axe_violations, wait_for
from tests.notify.standins import emailed_unsubscribe_path


def test_one_click_unsubscribe_and_back_in_a_browser(client, tenant, smtp, run_jobs, hub_url, browser, clean):
    path = emailed_unsubscribe_path(client, tenant, smtp, run_jobs)

    browser.get(hub_url + path)
    assert browser.find_element(By.TAG_NAME, "h1").text == "You are unsubscribed"
    assert axe_violations(browser) == []
    with clean.sessions() as session:
        assert is_opted_out(session, tenant["id"], "email", "priya.n@example.ca")

    browser.find_element(By.TAG_NAME, "button").click()
    # The form posts and a new page loads: wait for it rather than read the old page's heading.
    wait_for(browser, 20, lambda d: d.find_element(By.TAG_NAME, "h1").text == "You are subscribed again")
    assert axe_violations(browser) == []
    with clean.sessions() as session:
        assert not is_opted_out(session, tenant["id"], "email", "priya.n@example.ca")


def test_the_page_speaks_the_emails_language_or_the_browsers(client, tenant, smtp, run_jobs):
    path = emailed_unsubscribe_path(client, tenant, smtp, run_jobs)
    assert path.endswith("?lang=en")  # the email's language travels with its link
    token_path = path.split("?")[0]
    german = client.get(token_path + "?lang=de").get_data(as_text=True)
    assert '<html lang="de">' in german and "Sie sind abgemeldet" in german and "Wieder anmelden" in german
    french = client.get(token_path, headers={"Accept-Language": "fr-CH, fr;q=0.9"}).get_data(as_text=True)
    assert "Vous êtes désinscrit" in french
    back = client.post(token_path + "/resubscribe?lang=es").get_data(as_text=True)
    assert "Vuelves a estar suscrito" in back
