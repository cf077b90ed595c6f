"""The lock that lets one plan of a depot's day run at a time: renewed while its planner lives, gone soon after a
planner dies holding it (a SIGKILL mid-solve once blocked the day for seven minutes: 300 s + 120 s)."""

from __future__ import annotations

import time
import uuid
from typing import Any

import pytest

from hub.errors import TransientError
from hub.planning import days
from hub.runtime import Runtime


def test_a_living_planner_keeps_its_lock_past_the_ttl_and_gives_it_back(clean: Runtime, monkeypatch: Any) -> None:
    monkeypatch.setattr(days, "LOCK_RENEW_S", 0.2)
    name = f"plan:test:{uuid.uuid4().hex}"
    with days._day_lock(clean, name, ttl_s=1.0, wait_s=0, busy="busy"):
        time.sleep(2.5)  # well past the TTL: only the renewals keep it
        assert clean.redis.exists(name)
        with pytest.raises(TransientError, match="busy"):  # a second planner of the day is turned away
            with days._day_lock(clean, name, ttl_s=1.0, wait_s=0.1, busy="busy"):
                pass
    assert not clean.redis.exists(name)


def test_the_lock_of_a_planner_that_died_frees_the_day_after_its_ttl(clean: Runtime) -> None:
    name = f"plan:test:{uuid.uuid4().hex}"
    clean.redis.set(name, "a-killed-worker", px=1000)  # what a holder leaves when it is killed: no renewals

    started = time.monotonic()
    with days._day_lock(clean, name, ttl_s=5.0, wait_s=10, busy="busy"):
        waited = time.monotonic() - started
    assert waited < 5  # the dead holder's TTL, not the longest allowed solve
