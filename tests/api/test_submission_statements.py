"""What a submission asks the database (POST /api/v1/deliveries is the hub's busiest request): its key with the
key's tenant and whether the tenant has webhook subscriptions in one read, the order by its source (the
Idempotency-Key is looked up by the inbox insert, which finds a repeat); then its writes. The tenant's settings (does it send customer messages?) and its subscriptions are not
read again, and the new delivery is written once, its first event as its head."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event

from hub.runtime import Runtime
from tests.api.test_deliveries_api import example_input


def test_a_submission_reads_its_key_idempotency_key_and_order_and_writes_each_row_once(
        client: Any, tenant: dict[str, Any], clean: Runtime) -> None:
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        seen.append(" ".join(statement.split()[:3]).rstrip(","))

    client.post("/api/v1/deliveries", json=example_input("S-0"), headers=tenant["headers"])  # the key's use recorded
    event.listen(clean.engine, "before_cursor_execute", record)
    try:
        answer = client.post("/api/v1/deliveries", json=example_input("S-1"),
                             headers={**tenant["headers"], "Idempotency-Key": "statements-1"})
    finally:
        event.remove(clean.engine, "before_cursor_execute", record)
    assert answer.status_code == 202, answer.json
    reads = sorted(s.split()[1].split(".")[0] for s in seen if s.startswith("SELECT"))
    assert reads == ["api_keys", "deliveries"]  # the Idempotency-Key is the inbox row's dedupe key: its insert asks
    writes = [s for s in seen if s.startswith(("INSERT", "UPDATE", "DELETE"))]
    assert set(writes) == {"INSERT INTO deliveries", "INSERT INTO delivery_events", "INSERT INTO inbox",
                           "INSERT INTO outbox", "INSERT INTO tracking_links", "UPDATE inbox SET"}
    assert writes.count("INSERT INTO deliveries") == 1 and writes.count("INSERT INTO delivery_events") == 1
