"""The connection pool: a connection the server closed while it sat in the pool is replaced before anyone uses it,
without a ping per checkout (hub/db/engine.py). The pool is last in, first out: the connection a test just
returned is the next one it takes. Each test builds its own engine with the hub's make_engine, so no other thread
of the test process (a stream, a worker's housekeeper) can take a connection between two of its steps."""

from __future__ import annotations

from typing import Any, Iterator

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.pool import NullPool

from hub.db import engine as engines
from hub.runtime import Runtime


def _backend_pid(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text("SELECT pg_backend_pid()")).scalar_one())


def _terminate(engine: Engine, pid: int) -> None:
    """What a restarted server does to every pooled connection, from a connection outside the pool."""
    url = engine.url.render_as_string(hide_password=False)
    outsider = create_engine(url, poolclass=NullPool)
    with outsider.connect() as conn:
        assert conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid}).scalar_one()
    outsider.dispose()


@pytest.fixture
def postgres(runtime: Runtime) -> Iterator[Engine]:
    if runtime.engine.dialect.name != "postgresql":
        pytest.skip("only a database server closes pooled connections; SQLite opens its file")
    engine = engines.make_engine(runtime.config.database_url)
    yield engine
    engine.dispose()


def test_a_pooled_connection_the_server_closed_is_replaced_before_use(postgres: Engine, monkeypatch: Any) -> None:
    monkeypatch.setattr(engines, "PING_IDLE_S", 0.0)  # every connection has sat long enough to be pinged
    closed = _backend_pid(postgres)
    _terminate(postgres, closed)

    assert _backend_pid(postgres) != closed  # no error reached the caller: the pool opened a new connection


def test_a_connection_used_a_moment_ago_is_not_pinged(postgres: Engine, monkeypatch: Any) -> None:
    monkeypatch.setattr(engines, "PING_IDLE_S", 3600.0)
    pid = _backend_pid(postgres)
    _terminate(postgres, pid)

    # Not pinged, so the caller meets the closed connection; the pool then drops it and the next use succeeds.
    with pytest.raises(OperationalError):
        _backend_pid(postgres)
    assert _backend_pid(postgres) != pid
