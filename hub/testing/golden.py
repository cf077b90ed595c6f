"""Golden files for mapping: recorded payloads and the canonical output they must map to.

A golden folder holds one case per name::

    fixtures/golden/
        simple_order.input.json      # the raw payload ``to_delivery`` receives
        simple_order.expected.json   # {"delivery": {...} | null, "skip_reason": ..., "warnings": [...]}
        simple_order.headers.json    # optional: headers of the webhook that carried it; then the kit
                                     #   also sends the input bytes through ``parse`` and maps the event
        simple_order.context.json    # optional: MappingContext fields for this case
                                     #   ({"now": "...", "tenant": ..., "settings": {...}, "value_tables": {...}})

Regenerate the expected files after an intended change with ``HUB_UPDATE_GOLDEN=1 pytest`` and review
the diff like code.
"""

from __future__ import annotations

import difflib
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from hub.plugins.settings import public_settings
from hub.plugins.spec import ConnectorSpec
from hub.plugins.values import MappedDelivery, MappingContext

__all__ = [
    "FIXED_NOW",
    "GoldenCase",
    "build_context",
    "discover_cases",
    "dump_mapped",
    "update_requested",
    "write_expected",
]

#: The ``ctx.now`` of every golden case unless its context file says otherwise.
FIXED_NOW = datetime(2025, 1, 15, 10, 0, tzinfo=timezone.utc)
UPDATE_ENV = "HUB_UPDATE_GOLDEN"


@dataclass(frozen=True)
class GoldenCase:
    """One recorded payload and its expected mapping."""

    name: str
    input_path: Path
    expected_path: Path
    headers_path: Path | None = None
    context_path: Path | None = None

    def input_bytes(self) -> bytes:
        """The payload exactly as recorded (what a webhook body would carry)."""
        return self.input_path.read_bytes()

    def load_input(self) -> Any:
        return json.loads(self.input_path.read_text(encoding="utf-8"))

    def load_expected(self) -> dict[str, Any] | None:
        """The expected mapping, or None when the file does not exist yet."""
        if not self.expected_path.exists():
            return None
        return json.loads(self.expected_path.read_text(encoding="utf-8"))  # type: ignore[no-any-return]

    def load_headers(self) -> dict[str, str] | None:
        if self.headers_path is None:
            return None
        return {str(k): str(v) for k, v in json.loads(self.headers_path.read_text(encoding="utf-8")).items()}

    def load_context(self) -> dict[str, Any]:
        if self.context_path is None:
            return {}
        return json.loads(self.context_path.read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def discover_cases(golden_dir: str | os.PathLike[str] | None) -> list[GoldenCase]:
    """Every ``*.input.json`` in ``golden_dir`` (sorted by name) with its sibling files."""
    if golden_dir is None:
        return []
    root = Path(golden_dir)
    cases = []
    for input_path in sorted(root.glob("*.input.json")):
        name = input_path.name[: -len(".input.json")]
        headers = root / f"{name}.headers.json"
        context = root / f"{name}.context.json"
        cases.append(GoldenCase(
            name=name,
            input_path=input_path,
            expected_path=root / f"{name}.expected.json",
            headers_path=headers if headers.exists() else None,
            context_path=context if context.exists() else None,
        ))
    return cases


def build_context(
    spec: ConnectorSpec, settings: Mapping[str, Any], overrides: Mapping[str, Any] | None = None
) -> MappingContext:
    """The MappingContext a golden case maps with: a fixed tenant and installation, ``FIXED_NOW``,
    the installation settings without secrets, updated by ``overrides`` (a case's context file)."""
    extra = dict(overrides or {})
    now = extra.pop("now", None)
    merged_settings = {**public_settings(spec, settings), **extra.pop("settings", {})}
    unknown = set(extra) - {"tenant", "installation_id", "overrides", "value_tables"}
    if unknown:
        raise ValueError(f"unknown keys in golden context: {sorted(unknown)}")
    return MappingContext(
        tenant=extra.get("tenant", "tenant_test"),
        installation_id=extra.get("installation_id", "inst_test"),
        connector=spec.id,
        now=datetime.fromisoformat(now.replace("Z", "+00:00")) if now else FIXED_NOW,
        settings=merged_settings,
        overrides=extra.get("overrides", {}),
        value_tables=extra.get("value_tables", {}),
    )


def dump_mapped(mapped: MappedDelivery) -> dict[str, Any]:
    """A MappedDelivery as the JSON stored in ``*.expected.json`` (round-tripped through JSON, so a
    non-JSON value in the delivery fails here, loudly)."""
    doc = {
        "delivery": mapped.delivery,
        "skip_reason": mapped.skip_reason,
        "warnings": [
            {"code": w.code, "message": w.message, "field": w.field, "severity": w.severity}
            for w in mapped.warnings
        ],
    }
    return json.loads(json.dumps(doc, ensure_ascii=False))  # type: ignore[no-any-return]


def update_requested() -> bool:
    """True when ``HUB_UPDATE_GOLDEN`` asks to rewrite expected files instead of comparing."""
    return os.environ.get(UPDATE_ENV, "").strip().lower() in {"1", "true", "yes", "on"}


def write_expected(case: GoldenCase | Path, mapped: MappedDelivery | Mapping[str, Any]) -> Path:
    """Write ``mapped`` as the expected output of ``case`` (stable formatting: sorted keys, 2-space
    indent, trailing newline, so diffs stay readable)."""
    path = case.expected_path if isinstance(case, GoldenCase) else Path(case)
    doc = dump_mapped(mapped) if isinstance(mapped, MappedDelivery) else dict(mapped)
    path.write_text(json.dumps(doc, indent=2, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


def diff_documents(expected: Any, actual: Any, label: str) -> str:
    """A unified diff of two JSON documents, keys sorted: what a failed golden comparison shows."""
    def pretty(doc: Any) -> list[str]:
        return json.dumps(doc, indent=2, sort_keys=True, ensure_ascii=False).splitlines()

    lines = difflib.unified_diff(pretty(expected), pretty(actual), f"{label} (expected)", f"{label} (actual)",
                                 lineterm="")
    return "\n".join(lines)
