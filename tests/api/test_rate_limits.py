"""Rate limits per client address, counted in Redis: failed authentication (a key-guessing script is stopped,
a valid key never is) and the public endpoints; 429 with Retry-After and the hub's error body."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from hub.app import create_app
from hub.config import Config
from hub.errors import ConfigurationError
from hub.runtime import Runtime

WRONG = {"Authorization": "Bearer hub_int_not-a-key-anyone-was-given"}


def assert_too_many(response: Any) -> None:
    assert response.status_code == 429
    assert int(response.headers["Retry-After"]) >= 1
    assert response.json["error"]["code"] == "too_many_requests" and "details" in response.json["error"]


def test_a_thousand_wrong_keys_get_429s_and_a_valid_key_still_works(client: Any, tenant: dict[str, Any]) -> None:
    statuses = [client.get("/api/v1/deliveries", headers=WRONG).status_code for _ in range(1000)]
    allowed = int(Config.from_env().rate_limit_auth_failures.split()[0])
    assert statuses[:allowed] == [401] * allowed
    assert statuses[allowed:] == [429] * (1000 - allowed)
    assert_too_many(client.get("/api/v1/deliveries", headers=WRONG))
    assert_too_many(client.get("/api/v1/deliveries"))  # no key at all counts as a failure too
    assert client.get("/api/v1/deliveries", headers=tenant["headers"]).status_code == 200
    elsewhere = client.get("/api/v1/deliveries", headers=WRONG, environ_base={"REMOTE_ADDR": "192.0.2.7"})
    assert elsewhere.status_code == 401  # counted per address


def limited_client(runtime: Runtime, **limits: str) -> Any:
    config = dataclasses.replace(runtime.config, **limits)
    return create_app(runtime=dataclasses.replace(runtime, config=config)).test_client()


def test_the_public_endpoints_are_limited_per_address(clean: Runtime, tenant: dict[str, Any]) -> None:
    client = limited_client(clean, rate_limit_public="5 per minute")
    for path in ("/healthz", "/media/med_unknown?expires=1&signature=x"):
        assert all(client.get(path).status_code != 429 for _ in range(5))
        assert_too_many(client.get(path))
        assert client.get(path, environ_base={"REMOTE_ADDR": "192.0.2.8"}).status_code != 429
    hooks = [client.post("/hooks/ins_unknown", data=b"{}").status_code for _ in range(6)]
    assert hooks[:5] == [404] * 5 and hooks[5] == 429
    api = [client.get("/api/v1/deliveries", headers=tenant["headers"]).status_code for _ in range(10)]
    assert api == [200] * 10  # an authenticated API call is not a public endpoint


def test_limits_are_configurable_and_checked_at_start(clean: Runtime) -> None:
    config = Config.from_env({"HUB_RATE_LIMIT_AUTH_FAILURES": "3 per hour", "HUB_RATE_LIMIT_PUBLIC": "9 per second"})
    assert (config.rate_limit_auth_failures, config.rate_limit_public) == ("3 per hour", "9 per second")
    client = limited_client(clean, rate_limit_auth_failures="3 per hour")
    assert [client.get("/api/v1/deliveries", headers=WRONG).status_code for _ in range(4)] == [401, 401, 401, 429]
    assert int(client.get("/api/v1/deliveries", headers=WRONG).headers["Retry-After"]) > 60  # the hour's window
    with pytest.raises(ConfigurationError, match="HUB_RATE_LIMIT_PUBLIC"):
        limited_client(clean, rate_limit_public="lots")
