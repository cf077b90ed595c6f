"""Canonical validation benchmark: `python bench/validation.py [--rounds 2000]`.

Times `hub.canonical.validation.validate_document` on valid documents (the quick jsonschema-rs check answers) and
on invalid ones (jsonschema walks them and names the problems), against `jsonschema` alone, for the documents the
hub validates on its busiest paths: a delivery body (every POST /api/v1/deliveries) and a carrier job (every
dispatch). Realistic Berlin deliveries from hub.demo.data; the carrier job is the schema's own example.
"""

from __future__ import annotations

import argparse
import copy
import json
import random
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Callable

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from hub.canonical.validation import _field_errors, validate_document, validator  # noqa: E402
from hub.demo.data import delivery  # noqa: E402
from hub.paths import SCHEMAS_DIR  # noqa: E402


def _ms_per_call(call: Callable[[], Any], rounds: int) -> float:
    call()  # builds and caches the validators
    started = time.perf_counter()
    for _ in range(rounds):
        call()
    return (time.perf_counter() - started) / rounds * 1000


def _jsonschema_alone(name: str, doc: Any) -> list[Any]:
    return sorted({e for error in validator(name).iter_errors(doc) for e in _field_errors(error)})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=2000)
    args = parser.parse_args()
    body = delivery(random.Random(7), 1, datetime.now(timezone.utc) + timedelta(days=1))
    broken = copy.deepcopy(body)
    broken["dropoff"]["address"]["country"] = "Germany"
    job = json.loads((SCHEMAS_DIR / "examples" / "carrier_job.v1.json").read_text(encoding="utf-8"))
    cases = [("delivery body, valid", "delivery_input.v1", body), ("delivery body, invalid", "delivery_input.v1", broken),
             ("carrier job, valid", "carrier_job.v1", job)]
    print(f"{'document':<26}{'validate_document ms':>22}{'jsonschema alone ms':>21}{'same answer':>13}")
    for label, name, doc in cases:
        fast = _ms_per_call(lambda: validate_document(name, doc), args.rounds)
        slow = _ms_per_call(lambda: _jsonschema_alone(name, doc), max(1, args.rounds // 10))
        same = validate_document(name, doc) == _jsonschema_alone(name, doc)
        print(f"{label:<26}{fast:>22.3f}{slow:>21.3f}{'yes' if same else 'NO':>13}")


if __name__ == "__main__":
    main()
