"""A real `hub worker` process rides out Redis going away: it starts while Redis is down, says so in one line,
works once Redis is up, keeps running when Redis dies under it, and picks up work accepted meanwhile."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Callable

import redis
from sqlalchemy import func, select

from hub.app import create_app
from hub.config import Config
from hub.db.models import OutboxItem
from hub.demo.data import day_of_orders
from hub.embedded_redis import _free_port
from hub.outbox.status import work_status
from hub.runtime import build_runtime, set_runtime
from tests.jobs.test_crash_recovery import start_redis


def wait_until(check: Callable[[], Any], timeout_s: float, what: str) -> Any:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout_s} s waiting for {what}")


def assigned(rt: Any) -> int:
    """Work the worker finished: each posted delivery's assignment (the API creates the delivery itself)."""
    with rt.sessions() as session:
        return session.scalar(select(func.count()).select_from(OutboxItem).where(
            OutboxItem.kind == "assign", OutboxItem.state == "done")) or 0


def test_a_worker_waits_for_redis_and_survives_it_dying(clean: Any, tenant: dict[str, Any], tmp_path: Path) -> None:
    port = _free_port()
    url = f"redis://127.0.0.1:{port}/0"
    rt = build_runtime(Config.from_env(redis_url=url))
    log_path = tmp_path / "worker.log"
    worker = subprocess.Popen([sys.executable, "-m", "hub.cli", "worker"], env={**os.environ, "HUB_REDIS_URL": url},
                              start_new_session=True, stdout=log_path.open("wb"), stderr=subprocess.STDOUT)
    own_redis: redis.Redis | None = None
    try:
        log = lambda: log_path.read_text(errors="replace")  # noqa: E731
        wait_until(lambda: "is unreachable" in log(), 30, "the worker to say Redis is unreachable")
        time.sleep(2)
        assert worker.poll() is None, log()
        assert log().count("unreachable") == 1 and "Traceback" not in log()

        own_redis = start_redis(port, tmp_path)
        client = create_app(runtime=rt).test_client()
        orders = day_of_orders(2)
        assert client.post("/api/v1/deliveries", json=orders[0], headers=tenant["headers"]).status_code == 202
        wait_until(lambda: assigned(rt) == 1, 90, "the first delivery's assignment")

        own_redis.shutdown(nosave=True)  # Redis dies under the running worker
        own_redis = None
        # Accepted while Redis is down: the row is committed, only the bell cannot ring.
        assert client.post("/api/v1/deliveries", json=orders[1], headers=tenant["headers"]).status_code == 202
        time.sleep(3)
        assert worker.poll() is None, log()
        own_redis = start_redis(port, tmp_path)
        wait_until(lambda: assigned(rt) == 2, 60, "the delivery accepted while Redis was down")
        assert worker.poll() is None, log()
        assert "reachable again" in log()
    finally:
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait()
        set_runtime(clean)
        rt.close()
        if own_redis is not None:
            own_redis.shutdown(nosave=True)


def test_a_worker_stops_cleanly_on_sigterm(clean: Any, tmp_path: Path) -> None:
    """Supervisors (systemd, Kubernetes) stop workers with SIGTERM: the worker ends and signs off, it does not
    restart itself."""
    log_path = tmp_path / "worker.log"
    worker = subprocess.Popen([sys.executable, "-m", "hub.cli", "worker"], start_new_session=True,
                              stdout=log_path.open("wb"), stderr=subprocess.STDOUT)
    try:
        # Generous waits: on a loaded machine the worker's imports alone take seconds (seen: over 40 s).
        wait_until(lambda: work_status(clean).workers["alive"] == 1, 120, "the worker to beat")
        wait_until(lambda: "Listening on dispatch, assign, ingest, webhooks, route..." in log_path.read_text(
            errors="replace"), 120, "RQ to listen on every lane")
        worker.send_signal(signal.SIGTERM)
        assert worker.wait(timeout=120) == 0, log_path.read_text()
        assert "starting it again" not in log_path.read_text()
        assert work_status(clean).workers["alive"] == 0  # signed off
    finally:
        if worker.poll() is None:
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait()


def test_unknown_lanes_are_refused_with_the_list_of_lanes() -> None:
    from click.testing import CliRunner

    from hub.cli import main

    result = CliRunner().invoke(main, ["worker", "--lanes", "ingest,teleport"])
    assert result.exit_code == 2 and "unknown lane(s) teleport; the lanes are dispatch, assign" in result.output
