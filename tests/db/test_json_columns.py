"""JSON columns are written and read through orjson (hub/db/engine.py `json_text`, `json_value`), and keep what the
stdlib's json kept: keys that are not strings become strings, and what orjson refuses still goes through."""

from __future__ import annotations

from typing import Any

from hub.db.engine import json_value, transaction
from hub.db.models import OutboxItem
from hub.outbox.rows import add_outbox
from hub.runtime import Runtime


def test_a_json_column_keeps_what_the_stdlib_kept(clean: Runtime, tenant: dict[str, Any]) -> None:
    payload = {1: "an int key", "big": 2**70, "text": "Straße \U0001F69A", "list": [1.5, None, True]}
    with transaction(clean.sessions) as session:
        item_id = add_outbox(session, tenant_id=tenant["id"], kind="analytics", payload=payload).id
    with clean.sessions() as session:
        stored = session.get(OutboxItem, item_id).payload
    assert stored == {"1": "an int key", "big": 2**70, "text": "Straße \U0001F69A", "list": [1.5, None, True]}


def test_json_the_stdlib_wrote_with_nan_is_still_read() -> None:
    # SQLite kept NaN as the stdlib wrote it; orjson refuses to read it, the column still does.
    value = json_value('{"ratio": NaN}')
    assert value["ratio"] != value["ratio"]

