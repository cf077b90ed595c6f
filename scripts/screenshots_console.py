"""Screenshots of the operator console on a realistic day, for the README.

Seeds a day through the hub's own API and jobs (tests/console/day.py: a Berlin depot, two vans, a dozen
deliveries assigned and planned by the hub, a driver half-way through the route, an address mismatch, a
delivery no depot covers, a failed attempt), serves the hub on 127.0.0.1, signs in with headless Chromium at
a laptop's size, and writes Today, the exceptions queue and the live map to docs/screenshots/console/.

    .venv/bin/python scripts/screenshots_console.py [--out docs/screenshots/console]

Runs on a fresh SQLite file and the hub's own Redis in a temporary directory (set HUB_REDIS_URL to use
another Redis); needs Debian's chromium and chromium-driver, as the browser tests do.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import threading
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

LAPTOP = (1366, 900)
EMAIL, PASSWORD = "dispatch@mitte-flowers.example", "screenshots only, not a real password"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", default=str(ROOT / "docs" / "screenshots" / "console"))
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="hub-console-shots-") as tmp:
        os.environ.update({"HUB_DATA_DIR": tmp, "HUB_DATABASE_URL": f"sqlite:///{tmp}/hub.db",
                           "HUB_SECRET_KEY": uuid.uuid4().hex, "HUB_PUBLIC_URL": "http://127.0.0.1"})
        take(out)


def take(out: Path) -> None:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    from werkzeug.serving import make_server

    from hub.accounts.users import add_user
    from hub.app import create_app
    from hub.config import Config
    from hub.db.engine import transaction
    from hub.embedded_redis import stop_embedded_redis
    from hub.ledger.tenants import create_tenant, issue_key
    from hub.runtime import build_runtime, set_runtime
    from hub.worker import drain_all
    from tests.browser import CHROMEDRIVER, CHROMIUM
    from tests.console.day import seed_day

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
        base = f"http://127.0.0.1:{server.server_port}"
        options = webdriver.ChromeOptions()
        options.binary_location = CHROMIUM
        for flag in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--lang=en-US",
                     "--hide-scrollbars"):
            options.add_argument(flag)
        driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
        try:
            driver.set_window_size(*LAPTOP)
            driver.get(f"{base}/console/login")
            driver.find_element(By.ID, "email").send_keys(EMAIL)
            driver.find_element(By.ID, "password").send_keys(PASSWORD)
            driver.find_element(By.CSS_SELECTOR, "form.stack button[type=submit]").click()
            day = found.day.isoformat()
            for name, path in (("today", f"/console/today?day={day}"), ("exceptions", "/console/exceptions"),
                               ("map", f"/console/map?day={day}"),
                               ("analytics", f"/console/analytics?to={day}&by=depot&period=day")):
                driver.get(base + path)
                height = driver.execute_script("return document.documentElement.scrollHeight")
                driver.set_window_size(LAPTOP[0], min(max(LAPTOP[1], height), 2400))
                target = out / f"{name}.png"
                driver.save_screenshot(str(target))
                driver.set_window_size(*LAPTOP)
                print(f"wrote {target.relative_to(ROOT) if target.is_relative_to(ROOT) else target}")
        finally:
            driver.quit()
            server.shutdown()
    finally:
        set_runtime(None)
        runtime.close()
        stop_embedded_redis(config.data_dir)


if __name__ == "__main__":
    main()
