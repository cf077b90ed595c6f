"""Engines, sessions and migrations for SQLite (default) and PostgreSQL."""

from __future__ import annotations

import json
import time
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

import orjson
from alembic import command
from alembic.config import Config as AlembicConfig
from sqlalchemy import Engine, create_engine, event, exc
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, sessionmaker

from hub.db.encryption import ALEMBIC_ATTRIBUTE, Keyring

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"

# How long a SQLite writer waits for another writer before giving up: web and workers share one file.
SQLITE_BUSY_TIMEOUT_MS = 30_000
# Execution option `transaction()` sets: on SQLite its BEGIN takes the write lock at once (see below).
WRITES = "hub_writes"
# A pooled PostgreSQL connection idle this long is pinged before use (a restarted server has closed it). One
# used within the last second is not: a ping per checkout was 14 of a delivery's 131 statements in the workers.
PING_IDLE_S = 1.0


def json_text(value: Any) -> str:
    """How JSON columns are written: orjson (keys that are not strings become strings, as the stdlib's json made
    them). A document or an event is written several times per delivery, and the stdlib took five times as long.
    What orjson refuses (an integer beyond 64 bits, a lone surrogate) the stdlib still writes."""
    try:
        return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()
    except orjson.JSONEncodeError:
        return json.dumps(value)


def json_value(text: str | bytes) -> Any:
    """How JSON columns are read: orjson, or the stdlib for what it wrote before and orjson refuses (NaN)."""
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return json.loads(text)


JSON_COLUMNS = {"json_serializer": json_text, "json_deserializer": json_value}


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}, **JSON_COLUMNS)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record) -> None:  # type: ignore[no-untyped-def]
            cursor = dbapi_conn.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")  # readers never block the writer
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn) -> None:  # type: ignore[no-untyped-def]
            # A unit of work takes the write lock at BEGIN, so two writers queue instead of failing on the
            # upgrade. Reads begin deferred: under WAL they never wait, even while a plan is being solved.
            writes = conn.get_execution_options().get(WRITES)
            conn.exec_driver_sql("BEGIN IMMEDIATE" if writes else "BEGIN")

        engine.dialect._sqlite_disable_begin = True  # type: ignore[attr-defined]
        return engine
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    # Last in, first out: the connections a busy process keeps reusing stay hot, and the rest sit idle until a
    # ping checks them (or the server times them out).
    engine = create_engine(url, pool_size=5, max_overflow=10, pool_use_lifo=True, **JSON_COLUMNS)
    _ping_when_idle(engine)
    return engine


def _ping_when_idle(engine: Engine) -> None:
    """SQLAlchemy's pool_pre_ping, only for connections that sat in the pool: a dead one is replaced before use."""

    @event.listens_for(engine, "connect")
    @event.listens_for(engine, "checkin")
    def _fresh(_dbapi_conn, record) -> None:  # type: ignore[no-untyped-def]
        record.info["hub_returned_at"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _checked_out(dbapi_conn, record, _proxy) -> None:  # type: ignore[no-untyped-def]
        if time.monotonic() - record.info.get("hub_returned_at", 0.0) < PING_IDLE_S:
            return
        try:
            engine.dialect.do_ping(dbapi_conn)
        except Exception as error:  # the pool discards this connection and checks out (or opens) another
            raise exc.DisconnectionError(str(error)) from error


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


@dataclass
class Joined:
    """A transaction that the `transaction()`s opened inside `joined_transaction` use instead of their own."""

    session: Session
    failed: bool = False  # an error left one of them: only the whole transaction can be rolled back now


_joined: ContextVar[Joined | None] = ContextVar("hub_joined_transaction", default=None)


@contextmanager
def joined_transaction(session: Session) -> Iterator[Joined]:
    """Every `transaction()` opened inside (in this thread) is `session`'s, which the caller commits or rolls back:
    hub.outbox.relay runs a row's handler in the transaction that records the row's end and claims the next."""
    joined = Joined(session)
    token = _joined.set(joined)
    try:
        yield joined
    finally:
        _joined.reset(token)


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One unit of work: commit on success, roll back everything on any error. Only this commits:
    sessions opened with `factory()` alone are for reading. Inside `joined_transaction`, the joined one."""
    joined = _joined.get()
    if joined is not None:
        try:
            yield joined.session
        except BaseException:
            joined.failed = True
            raise
        return
    session = factory()
    try:
        session.connection(execution_options={WRITES: True})
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


@contextmanager
def lone_reads(factory: sessionmaker[Session]) -> Iterator[Session]:
    """A session for reads that need no transaction around them (each statement sees what is committed when it runs):
    on PostgreSQL they run in autocommit, without the BEGIN and ROLLBACK round trips of a transaction, which for a
    request's API key lookup were two of its three. SQLite reads as any session does (its BEGIN costs no round trip)."""
    session = factory()
    try:
        if session.get_bind().dialect.name == "postgresql":
            session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
        yield session
    finally:
        session.close()


_MEMOS = "hub.transaction_memos"


def transaction_memo(session: Session, name: str) -> dict[Any, Any]:
    """A dict that lives as long as the session's current transaction: what this transaction wrote and holds locked
    (a delivery's newest event, the work rows it added), which its later statements may reuse instead of asking
    the database again. Forgotten at commit and at any rollback, when other writers may change it."""
    return session.info.setdefault(_MEMOS, {}).setdefault(name, {})  # type: ignore[no-any-return]


def keep_loaded(session: Session, instance: object) -> None:
    """Keep `instance` in the session's identity map until the transaction ends: the map holds objects weakly, so a
    row read alongside another (a tenant with its delivery) is forgotten, and `session.get` asks the database again,
    as soon as the caller drops it."""
    transaction_memo(session, "kept")[id(instance)] = instance


def _forget_memos(session: Session, *_: Any) -> None:
    session.info.pop(_MEMOS, None)


for _end in ("after_commit", "after_rollback", "after_soft_rollback"):
    event.listen(Session, _end, _forget_memos)


def upsert(session: Session, model: type) -> Any:
    """An INSERT that can say ON CONFLICT DO UPDATE / DO NOTHING on the session's database (PostgreSQL or SQLite):
    one statement, atomic against a concurrent insert of the same key, where select-then-insert takes three."""
    return upsert_for(session.get_bind().dialect.name)(model)


def upsert_for(dialect: str) -> Any:
    """`upsert`'s INSERT constructor for a dialect by name, for statements built once and kept."""
    return postgresql.insert if dialect == "postgresql" else sqlite.insert


def alembic_config(url: str, keyring: Keyring | None = None) -> AlembicConfig:
    """`keyring` encrypts secrets in data migrations; without one they build it from HUB_SECRET_KEY."""
    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    if keyring is not None:
        cfg.attributes[ALEMBIC_ATTRIBUTE] = keyring
    return cfg


def migrate(url: str, *, keyring: Keyring | None = None) -> None:
    """Bring the schema to the newest revision (idempotent)."""
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
    command.upgrade(alembic_config(url, keyring), "heads")  # parallel feature branches until a merge revision joins them
