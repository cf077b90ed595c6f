"""The runtime every entry point builds the same way: config, database, Redis, connector registry.

The web app and the RQ worker both call `get_runtime()`; jobs never import Flask.
"""

from __future__ import annotations

import os
import threading
import weakref
from dataclasses import dataclass, field
from functools import cached_property

import click
import redis
from rq import Queue
from rq.serializers import JSONSerializer
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from hub.config import Config, resolve_secret_key
from hub.db.encryption import Keyring, bind_keyring
from hub.db.engine import make_engine, make_sessionmaker, migrate
from hub.db.media import media_store_factory
from hub.egress import policy as egress_policy
from hub.embedded_redis import ensure_embedded_redis
from hub.errors import ConfigurationError
from hub.plugins.registry import Registry, default_registry

# The lanes of work, in the order a worker serves them: work already in flight first (dispatch after
# assignment after ingest), so a burst of new orders does not delay the ones almost done; route plans are
# slow (seconds of solving) and go last.
LANE_ORDER = ("dispatch", "assign", "ingest", "webhooks", "route")
QUEUE_NAMES = LANE_ORDER  # one RQ queue per lane, for the bells
# Where a session finds the runtime it belongs to (session.info), to ring its lanes after commit.
RUNTIME_KEY = "hub.runtime"


@dataclass
class Runtime:
    config: Config
    engine: Engine
    sessions: sessionmaker[Session]
    redis_url: str
    _queues: dict[str, Queue] = field(default_factory=dict)

    @cached_property
    def redis(self) -> redis.Redis:
        return redis.Redis.from_url(self.redis_url)

    @cached_property
    def registry(self) -> Registry:
        return default_registry()

    def queue(self, name: str) -> Queue:
        if name not in QUEUE_NAMES:
            raise ValueError(f"unknown queue {name!r}; the hub's queues are {', '.join(QUEUE_NAMES)}")
        if name not in self._queues:
            self._queues[name] = Queue(name, connection=self.redis, serializer=JSONSerializer)
        return self._queues[name]

    def queues(self) -> list[Queue]:
        return [self.queue(name) for name in QUEUE_NAMES]

    def close(self) -> None:
        self.engine.dispose()
        if "redis" in self.__dict__:
            self.redis.close()


def build_runtime(config: Config | None = None, *, run_migrations: bool = True) -> Runtime:
    config = resolve_secret_key(config or Config.from_env())  # never a default key: HUB_SECRET_KEY or its file
    media_store_factory(config.media_store)  # an unknown HUB_MEDIA_STORE stops the start, naming the known ones
    egress_policy.bind(config.allow_private_webhook_targets)  # what connectors' guarded sessions allow
    keyring = Keyring.from_config(config)  # secrets at rest: HUB_SECRET_KEY (+ _PREVIOUS), bound to this engine
    if run_migrations:
        migrate(config.database_url, keyring=keyring)
    engine = make_engine(config.database_url)
    bind_keyring(engine, keyring)
    redis_url = config.redis_url or ensure_embedded_redis(config.data_dir)
    sessions = make_sessionmaker(engine)
    runtime = Runtime(config=config, engine=engine, sessions=sessions, redis_url=redis_url)
    sessions.configure(info={RUNTIME_KEY: runtime})  # after commit, hub/outbox/rows.py rings this runtime's lanes
    _forget_pool_in_children(engine)
    return runtime


def _forget_pool_in_children(engine: Engine) -> None:
    """A forked child (RQ's work horse with `hub worker --fork`) must not use the parent's pooled connections:
    two processes on one connection corrupt both. The child drops them, without closing the parent's."""
    ref = weakref.ref(engine)

    def in_child() -> None:
        alive = ref()
        if alive is not None:
            alive.dispose(close=False)

    os.register_at_fork(after_in_child=in_child)


_lock = threading.Lock()
_current: Runtime | None = None


def get_runtime() -> Runtime:
    """The process-wide runtime, built from the environment on first use (jobs call this)."""
    global _current
    with _lock:
        if _current is None:
            _current = build_runtime()
        return _current


def cli_runtime() -> Runtime:
    """`get_runtime()` for a CLI command: a runtime that cannot start says why in one line, never a traceback."""
    try:
        return get_runtime()
    except ConfigurationError as exc:  # e.g. an unknown HUB_MEDIA_STORE: the message says what to change
        raise click.ClickException(str(exc)) from None
    except Exception as exc:  # a bad URL, an unreachable database, no HUB_SECRET_KEY
        first_line = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise click.ClickException(f"could not start the hub's runtime: {type(exc).__name__}: {first_line}") from None


def set_runtime(runtime: Runtime | None) -> None:
    """Make `runtime` the process-wide one (the app factory and tests do this)."""
    global _current
    with _lock:
        _current = runtime
