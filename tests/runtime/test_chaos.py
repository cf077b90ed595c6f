"""The job runtime under chaos (bench/chaos.py): workers SIGKILLed while deliveries arrive lose nothing and
send nothing twice; and a job popped by a worker that died before starting it is not lost.

Each run owns its database (`empty_database`: a file on SQLite, a schema on PostgreSQL) and the Redis db
two above the suite's (11 -> 13, 12 -> 14), which it flushes."""

from __future__ import annotations

import importlib.util
import os
import sys
import time
from pathlib import Path
from types import ModuleType
from urllib.parse import urlsplit, urlunsplit

import pytest
import requests

from hub.demo.data import day_of_orders
from tests.fixtures import DEFAULT_REDIS

ROOT = Path(__file__).resolve().parents[2]
# The sweeper rings for due work every 2 s, so a lost bell is rung again within seconds; 90 s leaves room for a slow CI.
RECOVERY_TIMEOUT_S = 90


def load_chaos() -> ModuleType:
    if "bench_chaos" not in sys.modules:  # dataclasses look their module up in sys.modules
        spec = importlib.util.spec_from_file_location("bench_chaos", ROOT / "bench" / "chaos.py")
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules["bench_chaos"] = module
        spec.loader.exec_module(module)
    return sys.modules["bench_chaos"]


def chaos_redis_url() -> str:
    """The suite's Redis URL with its db number raised by two, so the chaos run never flushes the suite's."""
    parts = urlsplit(os.environ.get("HUB_TEST_REDIS_URL") or DEFAULT_REDIS)
    db = int(parts.path.strip("/") or 0)
    return urlunsplit(parts._replace(path=f"/{db + 2}"))


@pytest.mark.slow
def test_killed_workers_lose_nothing_and_send_nothing_twice(empty_database: str, tmp_path: Path) -> None:
    chaos = load_chaos()
    lines: list[str] = []
    report = chaos.run_chaos(database_url=empty_database, redis_url=chaos_redis_url(), deliveries=40,
                             kill_every_s=2.0, workers=2, post_rate=4.0, data_dir=tmp_path / "chaos",
                             log=lines.append)
    assert report.ok, "the chaos run found problems:\n" + report.table() + "\n\nlog:\n" + "\n".join(lines)


def test_a_job_popped_by_a_worker_that_died_before_starting_it_is_not_lost(empty_database: str,
                                                                              tmp_path: Path) -> None:
    chaos = load_chaos()
    with chaos.Hub(database_url=empty_database, redis_url=chaos_redis_url(), data_dir=tmp_path / "hub") as hub:
        hub.prepare()
        hub.serve()
        auth = {"Authorization": f"Bearer {hub.key}"}
        answer = requests.post(f"{hub.base}/api/v1/deliveries", json=day_of_orders(1)[0], timeout=30,
                               headers={**auth, "Idempotency-Key": "lost-pop-1"})
        assert answer.status_code == 202, answer.text
        delivery_id = answer.json()["id"]
        # No worker ran yet: a worker that popped the job id (BLPOP/LMOVE) and was killed before starting the
        # job leaves exactly this behind, the job hash still 'queued' and its id in no queue list.
        removed = hub.drop_queued_jobs()
        hub.start_worker()
        hub.start_worker()
        deadline = time.monotonic() + RECOVERY_TIMEOUT_S
        status = None
        while time.monotonic() < deadline:
            status = requests.get(f"{hub.base}/api/v1/deliveries/{delivery_id}", headers=auth, timeout=30).status_code
            if status == 200:
                return
            time.sleep(1)
        pytest.fail(f"delivery {delivery_id} still not there {RECOVERY_TIMEOUT_S} s after its queued job id was "
                    f"removed from Redis ({removed} id(s) removed; last GET answered {status}); "
                    f"worker logs in {hub.data_dir}")
