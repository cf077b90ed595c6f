"""Assignment engine benchmark: `python bench/assignment.py [--deliveries 10000] [--candidates 50] [--seed 7]`.

Assigns synthetic Berlin deliveries over own-fleet depots and carriers with each ready-made strategy,
consuming capacity as it goes (the same loop the assign job runs, without the database). Prints one row
per strategy: deliveries per second, how many were assigned, and how many no candidate could take.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from hub.assignment import (  # noqa: E402
    Candidate, Capacity, Coverage, Policy, PriceCard, Quality, assign, consume,
)
from hub.assignment.engine import STRATEGIES  # noqa: E402

from datetime import datetime, timezone  # noqa: E402

NOW = datetime(2026, 11, 25, 9, 0, tzinfo=timezone.utc)
LEVELS = ["same_day", "next_day", "express", "scheduled", "economy"]


def candidates(n: int, rng: random.Random) -> list[Candidate]:
    out = []
    for i in range(n):
        own = i % 10 == 0  # one in ten is an own-fleet depot
        prefixes = tuple(sorted({f"1{rng.randint(0, 4)}" for _ in range(rng.randint(1, 4))}))
        out.append(Candidate(
            id=f"{'dep' if own else 'car'}_{i:03d}", kind="own_fleet" if own else rng.choice(["3pl", "crowd"]),
            origin=(52.45 + rng.random() * 0.15, 13.25 + rng.random() * 0.3), utc_offset_min=60,
            features=frozenset(f for f in ("cold_chain", "tail_lift") if rng.random() < 0.3),
            coverage=Coverage(postal_prefixes=prefixes),
            service_levels=frozenset(rng.sample(LEVELS, rng.randint(2, 5))),
            cutoff_minute=rng.choice([None, 14 * 60, 16 * 60]),
            available_until_minute=20 * 60 if own else None,
            capacity=Capacity(deliveries=rng.randint(100, 600), parcels=rng.randint(300, 2000)),
            max_order_value=Decimal(rng.choice([200, 500, 2000])),
            price=PriceCard(base=Decimal(rng.randint(2, 9)), per_km=Decimal("0.35"), per_kg=Decimal("0.10"),
                            per_hour=Decimal("28") if own else Decimal("0"),
                            surcharges=(("cold_chain", Decimal("3.00")), ("express", Decimal("4.00")))),
            speed_kmh=rng.uniform(18, 35), rating=rng.uniform(3.0, 5.0),
            quality=Quality(failed_attempt_rate=rng.uniform(0, 0.1), avg_delay_min=rng.uniform(0, 20),
                            pod_compliance=rng.uniform(0.8, 1), acceptance_rate=rng.uniform(0.7, 1)),
            depot_id=f"dep_{i:03d}" if own else None,
        ))
    return out


def deliveries(n: int, rng: random.Random) -> list[dict[str, Any]]:
    out = []
    for i in range(n):
        out.append({
            "id": f"dlv_{i:026d}", "service_level": rng.choice(LEVELS),
            "promised_window": {"end": "2026-11-25T20:00:00+01:00"},
            "dropoff": {"address": {"line1": "x", "city": "Berlin", "country": "DE",
                                    "postal_code": f"1{rng.randint(0, 4)}{rng.randint(0, 999):03d}",
                                    "geo": {"lat": 52.45 + rng.random() * 0.15, "lng": 13.25 + rng.random() * 0.3}}},
            "parcels": [{"quantity": rng.randint(1, 3), "weight_g": rng.randint(200, 8000),
                         "temperature": "chilled" if rng.random() < 0.15 else "ambient"}],
            "declared_value": {"amount": f"{rng.randint(5, 400)}.00", "currency": "EUR"},
        })
    return out


def run(strategy: str, docs: list[dict[str, Any]], pool: list[Candidate]) -> tuple[float, int, int]:
    policy = Policy(strategy=strategy)
    index = {c.id: i for i, c in enumerate(pool)}
    pool = list(pool)
    assigned = 0
    started = time.perf_counter()
    for doc in docs:
        decision = assign(doc, pool, policy, NOW)
        if decision.chosen is not None:
            assigned += 1
            i = index[decision.chosen]
            pool[i] = consume(pool[i], doc)
    return time.perf_counter() - started, assigned, len(docs) - assigned


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--deliveries", type=int, default=10_000)
    parser.add_argument("--candidates", type=int, default=50)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    rng = random.Random(args.seed)
    pool, docs = candidates(args.candidates, rng), deliveries(args.deliveries, rng)
    print(f"{'strategy':<16} {'deliveries':>10} {'candidates':>10} {'seconds':>8} {'deliv/s':>9} "
          f"{'assigned':>9} {'nobody':>7}")
    for strategy in STRATEGIES:
        seconds, assigned, nobody = run(strategy, docs, pool)
        print(f"{strategy:<16} {len(docs):>10} {len(pool):>10} {seconds:>8.2f} {len(docs) / seconds:>9.0f} "
              f"{assigned:>9} {nobody:>7}")


if __name__ == "__main__":
    main()
