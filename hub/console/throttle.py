"""Failed sign-ins, counted in Redis per address and per account, and checked BEFORE a password is verified.

An API key has 256 random bits, so the API counts failures and only slows the failures down. A password can be
guessed: past the limit the console must refuse to check any password at all, or a guesser would still learn
which guess was right. Fail open when Redis is down (as hub/api/limits.py does): Redis down must not lock every
operator out; the health check reports it meanwhile.
"""

from __future__ import annotations

import logging
import math
import time

from limits import parse
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter
from redis.exceptions import RedisError

log = logging.getLogger(__name__)

KEY_PREFIX = "hub-console-sign-in"
# Per account, whatever the address: a slow spread-out guesser gets 10 tries per quarter hour on one account;
# a person who forgot their password has asked an admin long before that.
PER_ACCOUNT = "10 per 15 minutes"


def storage_uri(redis_url: str) -> str:
    """The `limits` storage URI for a redis-py URL (the embedded Redis may be a unix socket)."""
    return "redis+unix://" + redis_url[len("unix://"):] if redis_url.startswith("unix://") else redis_url


class SignInThrottle:
    def __init__(self, redis_url: str, per_address: str) -> None:
        self.window = MovingWindowRateLimiter(storage_from_string(storage_uri(redis_url)))
        self.limits = {"address": parse(per_address), "account": parse(PER_ACCOUNT)}

    def _keys(self, address: str, email: str) -> dict[str, str]:
        return {"address": address, "account": email.strip().lower()}

    def wait_s(self, address: str, email: str) -> int:
        """Seconds until this address may try this account again; 0 when it may try now."""
        try:
            waits = []
            for name, ident in self._keys(address, email).items():
                if not self.window.test(self.limits[name], KEY_PREFIX, name, ident):
                    stats = self.window.get_window_stats(self.limits[name], KEY_PREFIX, name, ident)
                    waits.append(max(1, math.ceil(stats.reset_time - time.time())))
            return max(waits, default=0)
        except (RedisError, OSError) as exc:  # fail open: see the module docstring
            log.warning("sign-in limit not enforced, Redis unreachable: %s", exc)
            return 0

    def failed(self, address: str, email: str) -> None:
        try:
            for name, ident in self._keys(address, email).items():
                self.window.hit(self.limits[name], KEY_PREFIX, name, ident)
        except (RedisError, OSError) as exc:
            log.warning("sign-in failure not counted, Redis unreachable: %s", exc)
