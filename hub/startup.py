"""Waiting at start for the database and Redis, so a hub started before them waits instead of crashing.

Containers and machines come up in any order. `hub serve` and `hub worker` call `wait_for_dependencies`
before they build the runtime; it prints one line when a dependency is unreachable and one when it is back,
never a traceback. A server that answers but refuses the URL (no such database, a wrong password) is a
configuration error: waiting would not fix it, so it stops the start at once with a `ConfigurationError`.
"""

from __future__ import annotations

import re
import sys
import time
from typing import Callable
from urllib.parse import parse_qsl, urlencode, urlsplit

import redis
from sqlalchemy import create_engine, text
from sqlalchemy.exc import ArgumentError, DBAPIError
from sqlalchemy.pool import NullPool

from hub.config import Config
from hub.errors import ConfigurationError

# Seconds one connection attempt may take: a server that is up answers in milliseconds; a host that drops
# packets never does, and the first "unreachable" line should not wait long for that. (libpq's minimum is 2.)
CONNECT_TIMEOUT_S = 3
# Backoff between attempts: the first retry is quick (a restarting database is back within a second or two);
# at most 5 s apart, so the hub is working again within seconds of an outage's end, at a cost of one
# connection attempt every 5 s while it lasts.
FIRST_RETRY_S = 1.0
MAX_RETRY_S = 5.0

# What a PostgreSQL server that answers says when the URL itself is wrong (psycopg gives no SQLSTATE for
# errors at connect time, so the message is all there is).
_REFUSALS = ("does not exist", "authentication failed", "no pg_hba.conf entry", "permission denied")
_SECRET_PARAMS = {"password", "passwd", "sslpassword"}


class Unreachable(Exception):
    """Nothing answered, or the server said "not yet": worth waiting for. The message is the short reason."""


class DependenciesUnavailable(RuntimeError):
    """A dependency was still unreachable when `give_up_after_s` ran out."""


def redact_url(url: str) -> str:
    """The URL with any password replaced by ***, safe to print or log."""
    parts = urlsplit(url)
    shown = url  # edited in place: rebuilding with urlunsplit would turn sqlite:////abs into sqlite://abs
    if "@" in parts.netloc:
        userinfo, host = parts.netloc.rsplit("@", 1)
        user, has_password, _ = userinfo.partition(":")
        if has_password:
            shown = shown.replace(parts.netloc, f"{user}:***@{host}", 1)
    if parts.query:
        pairs = parse_qsl(parts.query, keep_blank_values=True)
        if any(k.lower() in _SECRET_PARAMS for k, _ in pairs):
            query = urlencode([(k, "***" if k.lower() in _SECRET_PARAMS else v) for k, v in pairs], safe="*")
            shown = shown.replace(f"?{parts.query}", f"?{query}", 1)
    return shown


def _reason(exc: BaseException) -> str:
    """The part of a driver's message that says why, e.g. "connection refused"."""
    line = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
    # psycopg: 'connection failed: connection to server at "127.0.0.1", port 5433 failed: Connection refused'
    # redis-py: 'Error 111 connecting to 127.0.0.1:6390. Connection refused.'
    match = (re.search(r"^.*failed: (?:FATAL:\s+)?(.+)$", line)
             or re.search(r"^Error \d+ connecting to \S+?\. (.+)$", line))
    reason = (match.group(1) if match else line).strip().rstrip(".")
    return reason[:1].lower() + reason[1:] if reason[1:2].islower() else reason  # "Connection refused", not "DB"


def check_database(url: str) -> None:
    """Connect and run SELECT 1; raise Unreachable (worth waiting) or ConfigurationError (not)."""
    if url.startswith("sqlite"):
        return  # a local file, created on first use: nothing to wait for
    engine_url = "postgresql+psycopg://" + url[len("postgresql://"):] if url.startswith("postgresql://") else url
    connect_args = {"connect_timeout": CONNECT_TIMEOUT_S} if engine_url.startswith("postgresql") else {}
    try:
        engine = create_engine(engine_url, poolclass=NullPool, connect_args=connect_args)
    except (ArgumentError, ImportError) as exc:  # an unknown scheme or a driver that is not installed
        raise ConfigurationError(f"the database URL {redact_url(url)} is not one the hub can use "
                                 f"({_reason(exc)}); check HUB_DATABASE_URL") from None
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except (DBAPIError, OSError) as exc:
        reason = _reason(getattr(exc, "orig", None) or exc)
        if any(refusal in reason.lower() for refusal in _REFUSALS):
            raise ConfigurationError(f"the database at {redact_url(url)} answers but refuses the hub: {reason}; "
                                     "check HUB_DATABASE_URL") from None
        raise Unreachable(reason) from None
    finally:
        engine.dispose()


def check_redis(url: str) -> None:
    """PING; raise Unreachable (worth waiting) or ConfigurationError (not)."""
    try:
        client = redis.Redis.from_url(url, socket_connect_timeout=CONNECT_TIMEOUT_S, socket_timeout=CONNECT_TIMEOUT_S)
    except ValueError as exc:
        raise ConfigurationError(f"the Redis URL {redact_url(url)} is not valid ({exc}); check HUB_REDIS_URL") from None
    try:
        client.ping()
    except redis.AuthenticationError as exc:  # a subclass of ConnectionError, but waiting will not fix it
        raise ConfigurationError(f"Redis at {redact_url(url)} refuses the hub: {_reason(exc)}; "
                                 "check HUB_REDIS_URL") from None
    except (redis.ConnectionError, redis.TimeoutError) as exc:  # includes "loading the dataset": not yet
        raise Unreachable(_reason(exc)) from None
    except redis.RedisError as exc:  # e.g. a db number the server does not have
        raise ConfigurationError(f"Redis at {redact_url(url)} refuses the hub: {_reason(exc)}; "
                                 "check HUB_REDIS_URL") from None
    finally:
        client.close()


def _to_stderr(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def wait_for_dependencies(config: Config, *, log: Callable[[str], None] = _to_stderr,
                          sleep: Callable[[float], None] = time.sleep,
                          give_up_after_s: float | None = None) -> None:
    """Return once the database and (when HUB_REDIS_URL is set) Redis answer; log one line per change.

    Raises ConfigurationError when a server answers but refuses the URL, and DependenciesUnavailable when
    `give_up_after_s` passes first (None: wait for ever, as a service manager expects).
    """
    checks: list[tuple[str, str, Callable[[str], None]]] = [("the database", config.database_url, check_database)]
    if config.redis_url:  # unset: the hub starts its own Redis, so there is nothing to wait for
        checks.append(("Redis", config.redis_url, check_redis))
    down: dict[str, str] = {}
    delay, slept, started = FIRST_RETRY_S, 0.0, time.monotonic()
    while True:
        for name, url, check in checks:
            try:
                check(url)
            except Unreachable as exc:
                if name not in down:
                    log(f"hub: {name} at {redact_url(url)} is unreachable ({exc}); waiting for it, "
                        f"retrying every {FIRST_RETRY_S:g}-{MAX_RETRY_S:g} s")
                down[name] = str(exc)
                continue
            if down.pop(name, None) is not None:
                log(f"hub: {name} is reachable again")
        if not down:
            return
        waited = max(time.monotonic() - started, slept)  # a test's fake sleep advances only `slept`
        if give_up_after_s is not None:
            if waited >= give_up_after_s:
                names = " and ".join(f"{name} ({reason})" for name, reason in down.items())
                raise DependenciesUnavailable(f"gave up after {waited:.0f} s waiting for {names}")
            delay = min(delay, give_up_after_s - waited)
        sleep(delay)
        slept += delay
        delay = min(delay * 2, MAX_RETRY_S)
