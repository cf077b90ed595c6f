"""An installation's effective mapping: the connector's tables with the owner's patches, and its field overrides.

``effective_mapping`` is what ``hub mappings show`` and ``GET /api/v1/installations/<id>/mapping`` print;
``try_mapping`` runs one raw payload through that mapping the way ingest does (connector mapping, table
patches, field overrides, data-quality checks, canonical validation) and stores nothing, so an owner can
see what an override does before the next order arrives.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from hub.canonical.validation import validate_document
from hub.db.models import InboxItem, Installation
from hub.intake.inbox import as_request
from hub.intake.quality import with_quality_flags
from hub.ledger.installations import connector_for, mapping_settings
from hub.plugins.capabilities import require, supports
from hub.plugins.overrides import apply_overrides, field_overrides, table_overrides, value_at
from hub.plugins.registry import Registry
from hub.plugins.tables import TableError, dotted
from hub.plugins.values import MappingContext


def mapping_context(registry: Registry, installation: Installation, now: datetime) -> MappingContext:
    """The context ingest gives ``to_delivery``: settings without secrets, field overrides, table patches."""
    return MappingContext(
        tenant=installation.tenant_id, installation_id=installation.id, connector=installation.connector,
        now=now, settings=mapping_settings(registry, installation),
        overrides=field_overrides(installation.overrides), value_tables=table_overrides(installation.overrides),
    )


def _leaves(patch: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[str, Any]]:
    """Every entry a merge patch sets (or removes, as None), as (dotted path, value)."""
    if isinstance(patch, Mapping) and (patch or not path):  # an empty patch sets nothing
        for key, value in patch.items():
            yield from _leaves(value, (*path, str(key)))
    else:
        yield dotted(path), patch


def effective_mapping(registry: Registry, installation: Installation) -> dict[str, Any]:
    """The connector's declared tables (patched where the owner patched them) and the field overrides."""
    spec = registry.get(installation.connector)
    patches = table_overrides(installation.overrides)
    tables = []
    for table in spec.tables:
        patch = patches.get(table.name)
        try:
            data = dict(table.patched(patch).data)
            problem = None
        except TableError as exc:  # saved before the table changed under it: show it, do not hide the table
            data, problem = dict(table.data), str(exc)
        tables.append({
            "name": table.name, "file": table.source, "kind": table.kind, "data": data,
            "overridden": [{"entry": entry, "value": value} for entry, value in _leaves(patch or {})],
            **({"problem": problem} if problem else {}),
        })
    return {
        "installation_id": installation.id, "connector": installation.connector,
        "field_overrides": field_overrides(installation.overrides), "tables": tables,
    }


def try_mapping(registry: Registry, installation: Installation, payload: Mapping[str, Any], now: datetime) -> dict[str, Any]:
    """Map ``payload`` as ingest would for this installation and say where each overridden value came from."""
    connector = connector_for(registry, installation)
    if not supports(connector, "map_delivery"):
        raise ValueError(f"connector {installation.connector!r} does not map orders (no map_delivery capability)")
    ctx = mapping_context(registry, installation, now)
    mapped = require(connector, "map_delivery").to_delivery(payload, ctx)
    provenance = [
        {"table": name, "entry": entry, "value": value, "from": "installation table override"}
        for name, patch in sorted(ctx.value_tables.items()) for entry, value in _leaves(patch)
    ]
    if mapped.delivery is None:
        return {"delivery": None, "skip_reason": mapped.skip_reason, "data_quality_flags": [w.as_flag() for w in mapped.warnings],
                "provenance": provenance, "errors": []}
    content, override_warnings = apply_overrides(mapped.delivery, payload, ctx.overrides)
    failed = {w.field for w in override_warnings}
    for path, expression in sorted(ctx.overrides.items()):
        applied = f"$.{path}" not in failed
        provenance.append({"field": path, "expression": expression, "value": value_at(content, path) if applied else None,
                           "from": "installation field override" if applied else "connector mapping (the override found no value)"})
    flags = [*content.get("data_quality_flags", []), *(w.as_flag() for w in [*mapped.warnings, *override_warnings])]
    if flags:
        content["data_quality_flags"] = flags
    content = with_quality_flags(content)
    errors = [{"path": e.path, "message": e.message} for e in validate_document("delivery_input.v1", content)]
    return {"delivery": content, "skip_reason": None, "data_quality_flags": content.get("data_quality_flags", []),
            "provenance": provenance, "errors": errors}


ORDER_EVENTS = ("order.upsert", "order.cancel", "order.delete")


def stored_payload(registry: Registry, session: Session, installation: Installation, inbox_id: int) -> dict[str, Any]:
    """The order a stored inbound request of this installation carried, parsed by its connector as ingest would;
    ValueError when there is no such request or it carried no order."""
    item = session.get(InboxItem, inbox_id)
    if item is None or item.installation_id != installation.id:
        raise ValueError(f"installation {installation.id} has no stored request {inbox_id}")
    connector = connector_for(registry, installation)
    events = require(connector, "receive_webhook").parse(as_request(item))
    # A cancellation carries the order too (the sample orders/create of Shopify's docs is a cancelled order).
    orders = [e.payload for e in sorted(events, key=lambda e: e.kind != "order.upsert")
              if e.kind in ORDER_EVENTS and isinstance(e.payload, Mapping) and e.payload]
    if not orders:
        kinds = ", ".join(e.kind for e in events) or "nothing"
        raise ValueError(f"stored request {inbox_id} carried no order to map (it carried {kinds})")
    return dict(orders[0])
