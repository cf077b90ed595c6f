"""Screenshots of the operator console for the README: Today, the exceptions queue, the live map and the
analytics page, written to docs/screenshots/console/.

By default the data is `hub demo --history 30` (hub/demo/history.py): thirty past days of a Berlin depot
lived through the hub's own API, jobs, driver and carrier APIs on a moved clock (orders, routes, pings,
failed attempts, ratings), so every page shows a month of real figures. That takes a while: `hub demo
--history 30` ran in 6 min 25 s here (2 shared cores with other work, under `nice`), and this script about a minute
more. `--history 0` seeds a single day instead (tests/console/day.py: a driver half-way through the route, an
address mismatch, a delivery no depot covers, a failed attempt), in well under a minute.

    .venv/bin/python scripts/screenshots_console.py [--history 30] [--per-day 40] [--out docs/screenshots/console]

Then signs in with headless Chromium at a laptop's size. Runs on a fresh SQLite file and the hub's own Redis
in a temporary directory; needs Debian's chromium and chromium-driver, as the browser tests do.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

LAPTOP = (1366, 900)
TALLEST = 2400  # a long page is cut here: the README shows the top of it
EMAIL, PASSWORD = "dispatch@mitte-flowers.example", "screenshots only, not a real password"


@dataclass
class Scene:
    base: str  # the URL of the hub serving the data
    pages: list[tuple[str, str]]  # (file name, path)


def pages(first: date, last: date) -> list[tuple[str, str]]:
    return [("today", f"/console/today?day={last}"), ("exceptions", "/console/exceptions"),
            ("map", f"/console/map?day={last}"),
            ("analytics", f"/console/analytics?from={first}&to={last}&by=depot&period=week")]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--history", type=int, default=30, metavar="DAYS",
                        help="days of `hub demo --history` to show (0: one seeded day instead)")
    parser.add_argument("--per-day", type=int, default=40, help="orders a day with --history")
    parser.add_argument("--out", default=str(ROOT / "docs" / "screenshots" / "console"))
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    # ignore_cleanup_errors: the embedded Redis may still be writing its last dump as the folder goes
    with tempfile.TemporaryDirectory(prefix="hub-console-shots-", ignore_cleanup_errors=True) as tmp:
        os.environ.update({"HUB_DATA_DIR": tmp, "HUB_SECRET_KEY": uuid.uuid4().hex, "HUB_PUBLIC_URL": "http://127.0.0.1"})
        scenes = from_history(Path(tmp) / "demo", args.history, args.per_day) if args.history else one_day(tmp)
        with scenes as scene:
            print(f"data ready in {time.monotonic() - started:.0f} s")
            shoot(scene, out)
    print(f"done in {time.monotonic() - started:.0f} s")


@contextmanager
def from_history(data_dir: Path, days: int, per_day: int) -> Iterator[Scene]:
    """`hub demo --history DAYS`, served by the history's own app; the operator is a dispatcher of its tenant."""
    from hub.accounts.users import add_user
    from hub.db.engine import transaction
    from hub.demo.history import History
    from hub.embedded_redis import stop_embedded_redis

    data_dir.mkdir(parents=True)
    history = History(data_dir, days, per_day)
    try:
        history.start()
        first, last = history.run()
        assert history.runtime is not None
        with transaction(history.runtime.sessions) as session:
            add_user(session, EMAIL, "demo", "dispatcher", PASSWORD)
        yield Scene(history.base, pages(first, last))
    finally:
        history.stop()
        stop_embedded_redis(data_dir)


@contextmanager
def one_day(tmp: str) -> Iterator[Scene]:
    """One realistic day seeded through the API and jobs (tests/console/day.py), served here."""
    from werkzeug.serving import make_server

    from hub.accounts.users import add_user
    from hub.app import create_app
    from hub.config import Config
    from hub.db.engine import transaction
    from hub.embedded_redis import stop_embedded_redis
    from hub.ledger.tenants import create_tenant, issue_key
    from hub.runtime import build_runtime, set_runtime
    from hub.worker import drain_all
    from tests.console.day import seed_day

    os.environ["HUB_DATABASE_URL"] = f"sqlite:///{tmp}/hub.db"
    config = Config.from_env()
    runtime = build_runtime(config)  # migrates the fresh database
    set_runtime(runtime)
    try:
        with transaction(runtime.sessions) as session:
            tenant_row = create_tenant(session, "mitte-flowers")
            _, key = issue_key(session, tenant_row, "admin")
            add_user(session, EMAIL, "mitte-flowers", "dispatcher", PASSWORD)
            tenant = {"name": tenant_row.name, "id": tenant_row.id, "key": key,
                      "headers": {"Authorization": f"Bearer {key}"}}
        app = create_app(runtime=runtime)
        found = seed_day(app.test_client(), runtime, tenant, lambda: drain_all(runtime))
        server = make_server("127.0.0.1", 0, app, threaded=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        try:
            yield Scene(f"http://127.0.0.1:{server.server_port}", pages(found.day, found.day))
        finally:
            server.shutdown()
    finally:
        set_runtime(None)
        runtime.close()
        stop_embedded_redis(config.data_dir)


def shoot(scene: Scene, out: Path) -> None:
    """Sign in and save each page, as tall as its content (up to TALLEST)."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    from tests.browser import CHROMEDRIVER, CHROMIUM

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--lang=en-US",
                 "--hide-scrollbars"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    try:
        driver.set_window_size(*LAPTOP)
        driver.get(f"{scene.base}/console/login")
        driver.find_element(By.ID, "email").send_keys(EMAIL)
        driver.find_element(By.ID, "password").send_keys(PASSWORD)
        driver.find_element(By.CSS_SELECTOR, "form.stack button[type=submit]").click()
        WebDriverWait(driver, 20).until(lambda d: "/console/today" in d.current_url)  # signed in: no race with it
        for name, path in scene.pages:
            driver.get(scene.base + path)
            _settle(driver)
            height = driver.execute_script("return document.documentElement.scrollHeight")
            driver.set_window_size(LAPTOP[0], min(max(LAPTOP[1], height), TALLEST))
            target = out / f"{name}.png"
            driver.save_screenshot(str(target))
            driver.set_window_size(*LAPTOP)
            print(f"wrote {target.relative_to(ROOT) if target.is_relative_to(ROOT) else target}")
    finally:
        driver.quit()


def _settle(driver) -> None:  # type: ignore[no-untyped-def]
    """On the live map, wait for its first server-sent event (the status line then says "Live: updated")."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    if driver.find_elements(By.ID, "map-updated"):
        WebDriverWait(driver, 10).until(lambda d: d.find_element(By.ID, "map-updated").text.startswith("Live"))


if __name__ == "__main__":
    main()
