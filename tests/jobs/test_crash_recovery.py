"""A worker killed in the middle of its work (each posted delivery's assignment), then Redis restarted with
jobs queued: every accepted delivery is still processed, exactly once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import redis
from sqlalchemy import func, select

from hub.app import create_app
from hub.config import Config
from hub.db.engine import transaction
from hub.db.models import Delivery, DeliveryEvent, InboxItem, OutboxItem
from hub.demo.data import day_of_orders
from hub.embedded_redis import _free_port
from hub.ledger.tenants import create_tenant, issue_key
from hub.outbox.bells import BELLS_PER_LANE
from hub.runtime import build_runtime, set_runtime

ORDERS = 150


def start_redis(port: int, directory: Path) -> redis.Redis:
    subprocess.run(["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                    "--daemonize", "yes", "--dir", str(directory), "--logfile", str(directory / "redis.log")], check=True)
    client = redis.Redis(port=port)
    for _ in range(100):
        try:
            client.ping()
            return client
        except redis.ConnectionError:
            time.sleep(0.05)
    raise RuntimeError("test Redis did not start")


def processed(rt) -> int:  # type: ignore[no-untyped-def]
    """Work the worker finished: each posted delivery's assignment (the API creates the delivery itself)."""
    with rt.sessions() as session:
        return session.scalar(select(func.count()).select_from(OutboxItem).where(
            OutboxItem.kind == "assign", OutboxItem.state == "done")) or 0


def test_killed_worker_and_restarted_redis_lose_nothing(clean, tmp_path):
    port = _free_port()
    own_redis = start_redis(port, tmp_path)
    url = f"redis://127.0.0.1:{port}/0"
    rt = build_runtime(Config.from_env(redis_url=url))
    worker = None
    try:
        client = create_app(runtime=rt).test_client()
        with transaction(rt.sessions) as session:
            _, key = issue_key(session, create_tenant(session, "crash"), "admin")
        for order in day_of_orders(ORDERS):
            assert client.post("/api/v1/deliveries", json=order, headers={"Authorization": f"Bearer {key}"}).status_code == 202
        with rt.sessions() as session:  # the work is in the database; Redis holds only a few bells
            assert session.scalar(select(func.count()).select_from(OutboxItem).where(OutboxItem.kind == "assign")) == ORDERS
        assert 1 <= rt.queue("assign").count <= BELLS_PER_LANE

        env = {**os.environ, "HUB_REDIS_URL": url}
        worker = subprocess.Popen([sys.executable, "-m", "hub.cli", "worker"], env=env, start_new_session=True,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 120
        while processed(rt) < 10 and time.monotonic() < deadline:
            time.sleep(0.02)
        os.killpg(worker.pid, signal.SIGKILL)  # the worker and its work horse, mid-job
        worker.wait()
        done_before_crash = processed(rt)
        assert 10 <= done_before_crash < ORDERS, "the worker must die in the middle of the batch"

        own_redis.shutdown(nosave=True)  # Redis restarts empty: every queued job is gone
        own_redis = start_redis(port, tmp_path)
        assert rt.queue("assign").count == 0

        recovery = subprocess.run([sys.executable, "-m", "hub.cli", "worker", "--burst"], env=env,
                                  capture_output=True, timeout=300)
        assert recovery.returncode == 0, recovery.stderr.decode()[-2000:]

        with rt.sessions() as session:
            assert session.scalar(select(func.count()).select_from(InboxItem).where(InboxItem.state != "processed")) == 0
            assert session.scalar(select(func.count()).select_from(OutboxItem).where(
                OutboxItem.kind == "assign", OutboxItem.state != "done")) == 0
            assert session.scalar(select(func.count()).select_from(Delivery)) == ORDERS
            created = session.execute(select(DeliveryEvent.delivery_id, func.count()).where(
                DeliveryEvent.type == "delivery.created").group_by(DeliveryEvent.delivery_id)).all()
        assert len(created) == ORDERS and all(count == 1 for _, count in created)
    finally:
        if worker is not None and worker.poll() is None:
            os.killpg(worker.pid, signal.SIGKILL)
        set_runtime(clean)
        rt.close()
        try:
            own_redis.shutdown(nosave=True)
        except redis.RedisError:
            pass
