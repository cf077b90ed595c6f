"""Screenshots of the tracking page at phone size (390x844) for docs/screenshots/tracking/: on the way, delivered
with its proof, and after a failed attempt. Runs only with HUB_SCREENSHOTS=1 (scripts/screenshots_tracking.py)."""

from __future__ import annotations

import io
import math
import os
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle
from selenium.webdriver.common.by import By

from hub.paths import REPO_ROOT
from tests.customer.scene import BERLIN, arrive, fail, ping, plan_day, set_page_settings, start_route

OUT = REPO_ROOT / "docs" / "screenshots" / "tracking"
pytestmark = pytest.mark.skipif(os.environ.get("HUB_SCREENSHOTS") != "1", reason="set HUB_SCREENSHOTS=1 to write them")


def picture(draw: Any, size: tuple[float, float]) -> bytes:
    """A small PNG drawn with matplotlib: a stand-in for the driver's photo or the recipient's signature."""
    figure = Figure(figsize=size, dpi=100)
    axes = figure.add_axes((0, 0, 1, 1))
    axes.set_axis_off()
    draw(axes)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


def parcel(axes: Any) -> None:
    axes.add_patch(Rectangle((0, 0), 1, 1, color="#d9cbb3"))
    axes.add_patch(Rectangle((.3, .15), .4, .35, color="#a8743f"))
    axes.plot([.3, .7], [.33, .33], color="#e8d6a8", linewidth=6)
    axes.set_xlim(0, 1), axes.set_ylim(0, 1)


def signature(axes: Any) -> None:
    xs = [i / 100 for i in range(101)]
    axes.plot(xs, [.5 + .25 * math.sin(x * 19) * (1 - x) for x in xs], color="#1b2a4a", linewidth=2.5)
    axes.set_xlim(0, 1), axes.set_ylim(0, 1)


def shoot(browser: Any, url: str, name: str) -> Path:
    browser.get(url)
    browser.find_element(By.ID, "headline")
    height = browser.execute_script("return document.documentElement.scrollHeight")
    browser.set_window_size(390, max(844, int(height)))  # the whole page, phone-wide
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / f"{name}.png"
    browser.save_screenshot(str(path))
    browser.set_window_size(390, 844)
    return path


def test_write_the_screenshots(browser, hub_url, client, tenant, clean, run_jobs) -> None:
    set_page_settings(clean, tenant["id"], brand_name="Blumen Berlin", colour="#0b6e4f",
                      support_contact="hilfe@blumen-berlin.example")
    scene = plan_day(client, tenant, clean, run_jobs, window_start=datetime.now(BERLIN).replace(minute=0, second=0, microsecond=0))
    start_route(client, scene, run_jobs)
    arrive(client, scene, "alex", run_jobs)
    ping(client, scene, (52.5215, 13.4100), run_jobs)
    shoot(browser, f"{hub_url}{scene.path()}?lang=en", "on-the-way")

    lat, lng = 52.5163, 13.3777
    answer = client.post(f"/api/v1/driver/stops/{scene.ids['tor']}/arrive", headers=scene.driver)
    assert answer.status_code == 200
    answer = client.post(f"/api/v1/driver/stops/{scene.ids['tor']}/complete", headers=scene.driver,
                         content_type="multipart/form-data",
                         data={"recipient_name": "Lena Vogel", "lat": str(lat), "lng": str(lng),
                               "photos": (io.BytesIO(picture(parcel, (3.2, 2.4))), "door.png", "image/png"),
                               "signature": (io.BytesIO(picture(signature, (3.2, 1.6))), "sig.png", "image/png")})
    assert answer.status_code == 200, answer.get_json()
    run_jobs()
    shoot(browser, f"{hub_url}{scene.path()}?lang=en", "delivered")

    fail(client, scene, "hackescher", run_jobs, "customer_unavailable")
    shoot(browser, f"{hub_url}{scene.path('hackescher')}?lang=en", "failed-attempt")
    for name in ("on-the-way", "delivered", "failed-attempt"):
        assert (OUT / f"{name}.png").stat().st_size > 10_000
