"""What a chaos run (bench/chaos.py) does to the hub: deliveries posted at a steady rate, each retried until
the API accepts it, while workers are SIGKILLed one after the other and replaced at once."""

from __future__ import annotations

import random
import threading
import time
from typing import Any, Callable

import requests

from bench.harness import Hub, authorized

# The kill interval is jittered by this much either way, so kills do not fall into step with the sweeper.
KILL_JITTER_S = 1.0
# One delivery is retried (same Idempotency-Key) for this long before the poster gives up on it.
POST_GIVE_UP_S = 120.0

Log = Callable[[str], None]


class Poster(threading.Thread):
    """Posts the orders at `rate` per second, each retried with its Idempotency-Key until answered 202."""

    def __init__(self, base: str, key: str, orders: list[dict[str, Any]], rate: float, log: Log) -> None:
        super().__init__(name="chaos-poster", daemon=True)
        self.base, self.orders, self.rate, self.log = base, orders, rate, log
        self.http = authorized(key)
        self.accepted: dict[str, str] = {}  # external id -> delivery id
        self.refused: dict[str, str] = {}  # external id -> why
        self.retries = 0
        self.stop = threading.Event()

    def run(self) -> None:
        started = time.monotonic()
        for n, order in enumerate(self.orders):
            if self.stop.wait(max(0.0, started + n / self.rate - time.monotonic())):
                return
            self.post(order)

    def post(self, order: dict[str, Any]) -> None:
        external_id = order["source"]["external_id"]
        give_up = time.monotonic() + POST_GIVE_UP_S
        while not self.stop.is_set():
            try:
                response = self.http.post(f"{self.base}/api/v1/deliveries", json=order, timeout=30,
                                          headers={"Idempotency-Key": f"chaos-{external_id}"})
                if response.status_code == 202:
                    self.accepted[external_id] = response.json()["id"]
                    return
                why = f"{response.status_code} {response.text[:200]}"
                if response.status_code < 500:
                    self.refused[external_id] = why
                    self.log(f"!! {external_id} refused: {why}")
                    return
            except requests.RequestException as exc:
                why = f"{type(exc).__name__}: {exc}"
            if time.monotonic() > give_up:
                self.refused[external_id] = f"gave up after {POST_GIVE_UP_S:.0f} s: {why}"
                return
            self.retries += 1
            self.stop.wait(0.5)


def kill_loop(hub: Hub, poster: Poster, kill_every_s: float, rng: random.Random, log: Log) -> tuple[int, float]:
    """Round robin, every kill_every_s (jittered): SIGKILL one worker's group, start a replacement at once.
    Stops kill_every_s after the last post. Returns (kills, monotonic time of the last kill, else of the
    last post)."""
    kills, last_kill, slot = 0, 0.0, 0
    done_at: float | None = None
    next_kill = time.monotonic() + max(0.2, kill_every_s + rng.uniform(-KILL_JITTER_S, KILL_JITTER_S))
    while True:
        now = time.monotonic()
        if done_at is None and not poster.is_alive():
            done_at = now
        if done_at is not None and (kill_every_s <= 0 or now >= done_at + kill_every_s):
            return kills, last_kill if kills else done_at
        if kill_every_s > 0 and now >= next_kill and hub.workers:
            slot %= len(hub.workers)
            victim = hub.workers[slot]
            hub.kill_worker(victim)
            replacement = hub.start_worker()
            hub.workers.insert(slot, hub.workers.pop())  # the replacement takes the victim's slot
            kills, last_kill, slot = kills + 1, time.monotonic(), slot + 1
            log(f"  kill {kills}: worker pid {victim.pid} (group) SIGKILLed, replaced by pid {replacement.pid}; "
                f"{len(poster.accepted)} accepted so far")
            next_kill = last_kill + max(0.2, kill_every_s + rng.uniform(-KILL_JITTER_S, KILL_JITTER_S))
        time.sleep(0.1)
