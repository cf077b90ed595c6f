"""Request rate limits per client address, counted in Redis so every web process shares them.

Two limits (docs/security.md, "Access and secrets"):
- failed authentication (a missing, unknown or revoked key): once an address is over HUB_RATE_LIMIT_AUTH_FAILURES,
  its next wrong key is answered 429 instead of 401, so keys cannot be guessed at speed. A valid key is never
  slowed down by it: only failures are counted and only failures are refused.
- the public endpoints, which answer without a key (`/hooks/*`, `/t/*`, `/healthz`, `/media/*`, `/notify/*`):
  HUB_RATE_LIMIT_PUBLIC per address and endpoint, through Flask-Limiter.

Both answer 429 with Retry-After and the hub's error body. The address is the peer's (`request.remote_addr`):
behind a reverse proxy, have the proxy set it (e.g. werkzeug's ProxyFix), or every client shares the proxy's.
If Redis is unreachable the limits are not enforced rather than the hub refusing its own callers (fail open):
the health check reports Redis down meanwhile.
"""

from __future__ import annotations

import logging
import math
import time

from flask import Flask, Response, make_response, request
from flask_limiter import Limiter, RequestLimit
from limits import parse
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter
from redis.exceptions import RedisError

from hub.api.errors import ApiError, error_response
from hub.config import RATE_LIMIT_VARIABLES, Config
from hub.errors import ConfigurationError

log = logging.getLogger(__name__)

PUBLIC_PREFIXES = ("/hooks/", "/t/", "/healthz", "/media/", "/notify/")
KEY_PREFIX = "hub-limits"
EXTENSION = "hub_auth_failures"


def storage_uri(redis_url: str) -> str:
    """The `limits` storage URI for a redis-py URL (the embedded Redis may be a unix socket)."""
    return "redis+unix://" + redis_url[len("unix://"):] if redis_url.startswith("unix://") else redis_url


def is_public(path: str) -> bool:
    return path == "/healthz" or path.startswith(PUBLIC_PREFIXES)


def _too_many(retry_after_s: float, what: str, details: list[dict[str, str]] | None = None) -> ApiError:
    """The 429: what was exceeded, when to come back (Retry-After), and the hub's error body."""
    seconds = max(1, math.ceil(retry_after_s))
    return ApiError(429, "too_many_requests", f"{what}; try again in {seconds} s",
                    details or [{"path": "header.Retry-After", "message": str(seconds)}],
                    headers={"Retry-After": str(seconds)})


def _on_breach(limit: RequestLimit) -> Response:
    return make_response(error_response(_too_many(limit.reset_at - time.time(),
                                                  f"too many requests from your address (limit {limit.limit})")))


class AuthFailures:
    """Counts failed authentications per address; says when an address has had too many."""

    def __init__(self, config: Config, redis_url: str) -> None:
        self.limit = parse(config.rate_limit_auth_failures)
        self.window = MovingWindowRateLimiter(storage_from_string(storage_uri(redis_url)))

    def refused(self, address: str) -> ApiError | None:
        """Count one failure of `address`; a 429 to raise when it is over the limit, else None (answer 401)."""
        try:
            if self.window.hit(self.limit, KEY_PREFIX, "auth-failures", address):
                return None
            stats = self.window.get_window_stats(self.limit, KEY_PREFIX, "auth-failures", address)
        except (RedisError, OSError) as exc:  # fail open: Redis down must not lock every caller out
            log.warning("rate limit not enforced, Redis unreachable: %s", exc)
            return None
        return _too_many(stats.reset_time - time.time(),
                         f"too many failed authentications from your address (limit {self.limit})",
                         [{"path": "header.Authorization", "message": "wait before trying another key"}])


def check(config: Config) -> None:
    """A limit that does not parse stops the start, naming its variable."""
    for name, variable in RATE_LIMIT_VARIABLES.items():
        try:
            parse(getattr(config, name))
        except ValueError:
            raise ConfigurationError(f"{variable}={getattr(config, name)!r} is not a rate limit; write it as "
                                     "'N per second|minute|hour', e.g. '30 per minute'") from None


def init_app(app: Flask, config: Config, redis_url: str) -> Limiter:
    check(config)
    limiter = Limiter(
        lambda: request.remote_addr or "unknown", app=app, storage_uri=storage_uri(redis_url),
        strategy="moving-window", key_prefix=KEY_PREFIX, headers_enabled=True, swallow_errors=True,
        default_limits=[config.rate_limit_public], default_limits_exempt_when=lambda: not is_public(request.path),
        on_breach=_on_breach)
    app.extensions[EXTENSION] = AuthFailures(config, redis_url)
    return limiter


def failed_authentication(app: Flask) -> ApiError | None:
    """For hub.api.auth: count this request's failure; the 429 to raise instead of a 401, if any."""
    counter: AuthFailures | None = app.extensions.get(EXTENSION)
    return counter.refused(request.remote_addr or "unknown") if counter else None
