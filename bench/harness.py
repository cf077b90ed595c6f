"""A fresh hub on this machine for one benchmark run (bench/pipeline.py, bench/chaos.py): its own data dir,
its database and Redis db reset, `hub init`, then the web app and `hub worker`s, each started in a process
group of its own so that stopping it also stops whatever it started (an RQ work horse).

Every process it starts imports the same tree as the script (PYTHONPATH), whatever the venv has installed,
and writes its output to `<data dir>/<name>.log`. All traffic stays on 127.0.0.1.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import redis
import requests
from sqlalchemy import text

from hub.db.engine import make_engine

ROOT = Path(__file__).resolve().parent.parent
HUB_CLI = [sys.executable, "-m", "hub.cli"]
# `hub init` migrates a fresh database; on a slow PostgreSQL that takes a while, two minutes means it is stuck.
INIT_TIMEOUT_S = 120.0
# The app and the workers import the whole hub before they answer; a minute means something is wrong.
READY_TIMEOUT_S = 60.0
# A worker asked to stop finishes its current job first; after this it gets SIGKILL.
STOP_GRACE_S = 10.0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def reset_database(url: str) -> None:
    """SQLite: delete the file. PostgreSQL: drop and recreate the schema the URL's search_path names
    (tests/fixtures.py `empty_database`), else `public`."""
    if url.startswith("sqlite"):
        path = Path(url.split("///", 1)[-1])
        for stale in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
            stale.unlink(missing_ok=True)
        return
    found = re.search(r"search_path(?:=|%3D)([A-Za-z_][A-Za-z0-9_]*)", unquote(url))
    schema = found.group(1) if found else "public"
    engine = make_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    finally:
        engine.dispose()


def signal_group(process: subprocess.Popen[bytes], sig: signal.Signals) -> None:
    try:
        os.killpg(process.pid, sig)  # start_new_session: the group id is the process id
    except ProcessLookupError:
        pass


def authorized(key: str) -> requests.Session:
    """An HTTP session that sends the hub API key as the bearer."""
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {key}"
    # The hub is on this machine: no proxy or ~/.netrc lookup per request. They were a sixth of a request's CPU
    # in the client, which shares the two cores with the hub it measures.
    session.trust_env = False
    return session


class Hub:
    """A fresh hub for one run: environment, database, Redis db, the web app and the workers."""

    def __init__(self, *, database_url: str | None, redis_url: str, data_dir: Path) -> None:
        self.data_dir = Path(data_dir).resolve()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.database_url = database_url or f"sqlite:///{self.data_dir / 'hub.db'}"
        self.redis_url = redis_url
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("HUB_")} | {
            "HUB_DATA_DIR": str(self.data_dir / "hub"), "HUB_DATABASE_URL": self.database_url,
            "HUB_REDIS_URL": redis_url, "HUB_PUBLIC_URL": self.base, "HUB_SECRET_KEY": secrets.token_urlsafe(32),
            "HUB_ALLOW_PRIVATE_WEBHOOK_TARGETS": "true",
            "PYTHONPATH": os.pathsep.join([str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])])}
        self.server: subprocess.Popen[bytes] | None = None
        self.workers: list[subprocess.Popen[bytes]] = []
        self.started = 0
        self.key = ""
        self.tenant_id = ""

    def __enter__(self) -> Hub:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def prepare(self, tenant: str) -> None:
        """Empty the database and FLUSH the Redis db, then `hub init` the tenant (self.key, self.tenant_id)."""
        reset_database(self.database_url)
        with redis.Redis.from_url(self.redis_url) as client:
            client.flushdb()
        init = self.cli("init", "--tenant", tenant, "--json", timeout=INIT_TIMEOUT_S)
        if init.returncode != 0:
            raise RuntimeError(f"hub init failed: {init.stderr[-2000:]}")
        data = json.loads(init.stdout)
        self.key, self.tenant_id = data["admin_api_key"], data["tenant_id"]

    def cli(self, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
        return subprocess.run([*HUB_CLI, *args], env=self.env, cwd=self.data_dir, text=True, capture_output=True,
                              timeout=timeout)

    def spawn(self, name: str, command: list[str]) -> subprocess.Popen[bytes]:
        with open(self.data_dir / f"{name}.log", "ab") as output:
            # PGAPPNAME names the process on its PostgreSQL connections (pg_stat_activity, the server's log).
            return subprocess.Popen(command, env={**self.env, "PGAPPNAME": f"hub-bench-{name}"}, cwd=self.data_dir,
                                    start_new_session=True,
                                    stdout=output, stderr=subprocess.STDOUT)

    def serve(self, command: list[str] | None = None) -> None:
        """The web app (`hub serve`, or the command given: gunicorn, say); returns once it answers."""
        self.server = self.spawn("app", command or [*HUB_CLI, "serve", "--port", str(self.port)])
        self.wait_ready()

    def start_worker(self, *args: str) -> subprocess.Popen[bytes]:
        self.started += 1
        worker = self.spawn(f"worker-{self.started}", [*HUB_CLI, "worker", *args])
        self.workers.append(worker)
        return worker

    def kill_worker(self, worker: subprocess.Popen[bytes]) -> None:
        """SIGKILL the worker's whole process group (its work horse too), mid-whatever."""
        signal_group(worker, signal.SIGKILL)
        worker.wait(timeout=STOP_GRACE_S)
        self.workers.remove(worker)

    def wait_ready(self, workers: int = 0) -> None:
        """Until the web app answers GET /healthz and Redis knows `workers` workers (the answer counts them)."""
        deadline = time.monotonic() + READY_TIMEOUT_S
        while time.monotonic() < deadline:
            if any(p.poll() is not None for p in self.processes()):
                raise RuntimeError(f"a hub process exited at start; see the logs in {self.data_dir}")
            try:
                answer = requests.get(f"{self.base}/healthz", timeout=5)
                if not workers or (answer.json().get("redis") or {}).get("workers", 0) >= workers:
                    return
            except (requests.RequestException, ValueError):
                pass
            time.sleep(0.2)
        raise RuntimeError(f"the hub was not ready after {READY_TIMEOUT_S:.0f} s; see the logs in {self.data_dir}")

    def processes(self) -> list[subprocess.Popen[bytes]]:
        return [*self.workers, *([self.server] if self.server else [])]

    def close(self) -> None:
        """SIGTERM every process group, give them STOP_GRACE_S in all, then SIGKILL what is left of each."""
        processes = self.processes()
        for process in processes:
            signal_group(process, signal.SIGTERM)
        deadline = time.monotonic() + STOP_GRACE_S
        for process in processes:
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                pass
            signal_group(process, signal.SIGKILL)  # and any work horse left in its group
            process.wait(timeout=STOP_GRACE_S)
        self.workers, self.server = [], None
