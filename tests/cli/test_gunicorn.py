"""`gunicorn 'hub:create_app()'`, the production command the README gives, serves the API: two real gunicorn
workers on a free local port, the test database and the test Redis."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from hub.demo.data import day_of_orders
from hub.embedded_redis import _free_port

pytest.importorskip("gunicorn")

# Seconds for two workers to import the hub, migrate (a no-op here) and answer: ~2 s on a laptop, more on CI.
BOOT_TIMEOUT_S = 60


def wait_until_healthy(base: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + BOOT_TIMEOUT_S
    while time.monotonic() < deadline:
        assert process.poll() is None, f"gunicorn exited with {process.returncode}:\n{log.read_text()[-3000:]}"
        try:
            if requests.get(f"{base}/healthz", timeout=2).status_code == 200:
                return
        except (requests.ConnectionError, requests.Timeout):  # still booting
            pass
        time.sleep(0.2)
    pytest.fail(f"gunicorn did not answer /healthz with 200 within {BOOT_TIMEOUT_S} s:\n{log.read_text()[-3000:]}")


def test_gunicorn_serves_the_app_factory(hub_env, clean, tenant, tmp_path):
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    log = tmp_path / "gunicorn.log"
    with log.open("wb") as out:
        gunicorn = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "hub:create_app()", "--bind", f"127.0.0.1:{port}", "--workers", "2"],
            env={**os.environ, **hub_env}, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        wait_until_healthy(base, gunicorn, log)
        order = day_of_orders(1)[0]
        answer = requests.post(f"{base}/api/v1/deliveries", json=order, headers=tenant["headers"], timeout=10)
        assert answer.status_code == 202, answer.text
        assert clean.queue("assign").count == 1  # created; its assignment rung in the Redis the test's runtime uses
        gunicorn.send_signal(signal.SIGTERM)  # gunicorn's graceful stop
        assert gunicorn.wait(timeout=30) == 0, log.read_text()[-3000:]
        assert log.read_text().count("Booting worker") == 2
    finally:
        if gunicorn.poll() is None:
            os.killpg(gunicorn.pid, signal.SIGKILL)
            gunicorn.wait()
