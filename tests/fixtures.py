"""Test set-up: a real database (SQLite or PostgreSQL, from HUB_TEST_DATABASE_URL) and a real Redis
(HUB_TEST_REDIS_URL, a db number of its own). Every test starts with empty tables and an empty Redis db."""

from __future__ import annotations

import os
import threading
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any, Iterator

import pytest
import redis
from sqlalchemy import text, update
from werkzeug.serving import make_server

from hub.config import Config
from hub.db.engine import transaction
from hub.db.models import Base, OutboxItem, utcnow
from hub.db.models.webhooks import OPEN_STATES, WebhookDelivery
from hub.egress import policy as egress_policy
from hub.runtime import Runtime, build_runtime, set_runtime
from hub.worker import drain_all

DEFAULT_REDIS = "redis://127.0.0.1:6379/11"


def _database_url(tmp: Path) -> str:
    return os.environ.get("HUB_TEST_DATABASE_URL") or f"sqlite:///{tmp / 'hub-test.db'}"


def _reset_postgres(url: str) -> None:
    from sqlalchemy import create_engine

    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


@pytest.fixture(autouse=True)
def egress_allows_local_standins() -> Iterator[None]:
    """Tests reach their stand-ins on 127.0.0.1, as `hub demo` does; a test of the refusal binds False."""
    with egress_policy.bound(True):
        yield


@pytest.fixture(scope="session")
def hub_env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """The environment every hub process of the test run shares (the app, workers, subprocesses)."""
    tmp = tmp_path_factory.mktemp("hub")
    url = _database_url(tmp)
    if url.startswith("postgresql"):
        _reset_postgres(url)
    env = {
        "HUB_DATABASE_URL": url,
        "HUB_REDIS_URL": os.environ.get("HUB_TEST_REDIS_URL", DEFAULT_REDIS),
        "HUB_DATA_DIR": str(tmp / "data"),
        "HUB_PUBLIC_URL": "http://hub.test",
        "HUB_SECRET_KEY": "test-secret",
        "HUB_ALLOW_PRIVATE_WEBHOOK_TARGETS": "true",
    }
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    yield env
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


@pytest.fixture(scope="session")
def runtime(hub_env: dict[str, str]) -> Iterator[Runtime]:
    rt = build_runtime(Config.from_env(testing=True))
    set_runtime(rt)
    yield rt
    set_runtime(None)
    rt.close()


@pytest.fixture(autouse=False)
def clean(runtime: Runtime) -> Iterator[Runtime]:
    """Empty tables and an empty Redis db before the test."""
    runtime.redis.flushdb()
    tables = [t.name for t in reversed(Base.metadata.sorted_tables)]
    with runtime.engine.begin() as conn:
        if runtime.engine.dialect.name == "postgresql":
            conn.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
        else:
            for table in tables:
                conn.execute(text(f"DELETE FROM {table}"))
    yield runtime


@pytest.fixture
def app(clean: Runtime):  # type: ignore[no-untyped-def]
    from hub.app import create_app

    return create_app(runtime=clean)


@pytest.fixture
def client(app):  # type: ignore[no-untyped-def]
    return app.test_client()


@pytest.fixture
def hub_url(app: Any) -> Iterator[str]:
    """The hub's web app served over real HTTP on a free 127.0.0.1 port (as `hub demo` serves it), for
    stand-ins that post to the hub themselves."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


@pytest.fixture
def tenant(clean: Runtime) -> dict[str, Any]:
    """A tenant with an admin key: {'name', 'id', 'key', 'headers'}."""
    from hub.db.engine import transaction
    from hub.ledger.tenants import create_tenant, issue_key

    name = f"t-{uuid.uuid4().hex[:8]}"
    with transaction(clean.sessions) as session:
        row = create_tenant(session, name)
        _, key = issue_key(session, row, "admin")
    return {"name": name, "id": row.id, "key": key, "headers": {"Authorization": f"Bearer {key}"}}


def make_key(runtime: Runtime, tenant_id: str, role: str, subject_id: str | None = None) -> dict[str, str]:
    from hub.db.engine import transaction
    from hub.db.models import Tenant
    from hub.ledger.tenants import issue_key

    with transaction(runtime.sessions) as session:
        _, key = issue_key(session, session.get(Tenant, tenant_id), role, subject_id=subject_id)
    return {"Authorization": f"Bearer {key}"}


def drain(runtime: Runtime, rounds: int = 50) -> int:
    """Run every due work row in this process, lane by lane, until none is due (rows may add more); the
    hub's own claim-and-run code (hub/outbox/relay.py), as a worker runs it, without the bell."""
    return drain_all(runtime, rounds=rounds)


@pytest.fixture
def run_jobs(clean: Runtime):  # type: ignore[no-untyped-def]
    return lambda: drain(clean)


def make_due(runtime: Runtime) -> None:
    """Make every waiting webhook try and every pending work row (backoff, Retry-After, schedules) due now."""
    past = utcnow() - timedelta(seconds=1)
    with transaction(runtime.sessions) as session:
        session.execute(update(WebhookDelivery).where(WebhookDelivery.state.in_(OPEN_STATES))
                        .values(next_attempt_at=past))
        session.execute(update(OutboxItem).where(OutboxItem.state == "pending", OutboxItem.due_at > past)
                        .values(due_at=past))


@pytest.fixture
def fast_forward(clean: Runtime, run_jobs):  # type: ignore[no-untyped-def]
    """Skip the backoff: every open try becomes due, and runs."""
    def forward() -> None:
        make_due(clean)
        run_jobs()
    return forward


@pytest.fixture
def empty_database(runtime: Runtime, tmp_path: Path) -> Iterator[str]:
    """A database of its own, with no tables (a file on SQLite, a schema on PostgreSQL): for migration tests."""
    url = runtime.config.database_url
    if not url.startswith("postgresql"):
        yield f"sqlite:///{tmp_path / 'empty.db'}"
        return
    schema = f"empty_{uuid.uuid4().hex[:10]}"
    with runtime.engine.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    try:
        yield f"{url}{'&' if '?' in url else '?'}options=-csearch_path%3D{schema}"
    finally:
        with runtime.engine.begin() as conn:
            conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))


def redis_client(url: str) -> redis.Redis:
    return redis.Redis.from_url(url)
