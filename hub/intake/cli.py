"""`hub mappings show|try|patch`: an installation's effective mapping, a payload run through it without
storing, and an owner's table patch saved (validated as the installations API validates it)."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import click
import yaml

from hub.db.engine import transaction
from hub.db.models import Installation
from hub.intake.mappings import effective_mapping, stored_payload, try_mapping
from hub.ledger.installations import InstallationError, validated
from hub.plugins.overrides import TABLES_KEY, table_overrides
from hub.runtime import cli_runtime


def _installation(installation_id: str) -> tuple[Any, Any]:
    """(runtime, installation) or a one-line error; the row is detached, only read."""
    runtime = cli_runtime()
    with runtime.sessions() as session:
        installation = session.get(Installation, installation_id)
        if installation is None:
            raise click.ClickException(f"no installation {installation_id!r}; list them with GET /api/v1/installations")
        session.expunge(installation)
    return runtime, installation


def _show_text(data: dict[str, Any]) -> str:
    lines = [f"Installation {data['installation_id']} ({data['connector']})", "", "Field overrides:"]
    lines += [f"  {path} = {expr}" for path, expr in sorted(data["field_overrides"].items())] or ["  (none)"]
    for table in data["tables"]:
        lines += ["", f"Table {table['name']} ({table['kind']}, {table['file']})"]
        lines += [f"  overridden: {o['entry']} = {json.dumps(o['value'])}" for o in table["overridden"]]
        if table.get("problem"):
            lines.append(f"  PROBLEM: {table['problem']}")
        body = {k: v for k, v in table["data"].items() if k not in ("kind", "description")}
        lines += ["  " + line for line in yaml.safe_dump(body, sort_keys=False, allow_unicode=True).splitlines()]
    if not data["tables"]:
        lines += ["", "The connector declares no value tables."]
    return "\n".join(lines)


def _try_text(result: dict[str, Any]) -> str:
    if result["delivery"] is None:
        lines = [f"Skipped: {result['skip_reason']}"]
    else:
        lines = ["Canonical delivery:", json.dumps(result["delivery"], indent=2, ensure_ascii=False)]
    lines += ["", "Data-quality flags:"]
    lines += [f"  {f['severity']:<7} {f['code']}  {f.get('field') or ''}  {f['message']}" for f in result["data_quality_flags"]] or ["  (none)"]
    lines += ["", "From the installation's overrides:"]
    for item in result["provenance"]:
        if "table" in item:
            lines.append(f"  table {item['table']} entry {item['entry']} = {json.dumps(item['value'])}")
        else:
            lines.append(f"  field {item['field']} = {json.dumps(item['value'])}  <- {item['expression']} ({item['from']})")
    if not result["provenance"]:
        lines.append("  (none: everything came from the connector's mapping and tables)")
    if result["errors"]:
        lines += ["", "Not a valid canonical delivery (ingest would refuse it):"]
        lines += [f"  {e['path']}: {e['message']}" for e in result["errors"]]
    lines += ["", "Nothing was stored."]
    return "\n".join(lines)


@click.group("mappings", help="An installation's effective mapping: its tables with the owner's patches, and field overrides.")
def mappings_group() -> None:
    pass


@mappings_group.command("show", help="Print the effective tables and field overrides of an installation.")
@click.argument("installation_id")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output, as GET /api/v1/installations/<id>/mapping.")
def show(installation_id: str, as_json: bool) -> None:
    runtime, installation = _installation(installation_id)
    data = effective_mapping(runtime.registry, installation)
    click.echo(json.dumps(data, indent=2, ensure_ascii=False) if as_json else _show_text(data))


@mappings_group.command("try", help="Run a payload through the installation's effective mapping and print the canonical "
                        "delivery, its data-quality flags and what came from the overrides. The payload is FILE.json "
                        "(the order as the source sends it) or, with --inbox ID, a request the hub stored for this "
                        "installation. Stores nothing.")
@click.argument("installation_id")
@click.argument("payload_file", metavar="[FILE.json]", required=False,
                type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--inbox", "inbox_id", type=int, metavar="ID", help="Use the order of this stored inbound request "
              "(the id its webhook was answered with, or GET /api/v1/installations/<id> failures).")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output, as POST /api/v1/installations/<id>/mapping/try.")
def try_(installation_id: str, payload_file: Path | None, inbox_id: int | None, as_json: bool) -> None:
    if (payload_file is None) == (inbox_id is None):
        raise click.UsageError("give either FILE.json or --inbox ID")
    runtime, installation = _installation(installation_id)
    try:
        if payload_file is not None:
            payload = _payload_from(payload_file)
        else:
            with runtime.sessions() as session:
                payload = stored_payload(runtime.registry, session, installation, inbox_id)
        result = try_mapping(runtime.registry, installation, payload, datetime.now(timezone.utc))
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(json.dumps(result, indent=2, ensure_ascii=False) if as_json else _try_text(result))


def _payload_from(payload_file: Path) -> dict[str, Any]:
    try:
        payload = json.loads(payload_file.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise click.ClickException(f"{payload_file} is not JSON: {exc}") from None
    if not isinstance(payload, dict):
        raise click.ClickException(f"{payload_file} must hold one JSON object (the order as the source sends it)")
    return payload


@mappings_group.command("patch", help="Patch one of the installation's tables (a JSON merge patch, inline or @FILE.json; "
                        "null removes an entry, {} removes the patch), validated against the table schema before it "
                        "is saved. E.g. hub mappings patch ins_... shopify/service_levels "
                        "'{\"codes\": {\"Courier Express\": \"same_day\"}}'")
@click.argument("installation_id")
@click.argument("table")
@click.argument("patch")
def patch(installation_id: str, table: str, patch: str) -> None:
    text = Path(patch[1:]).read_text(encoding="utf-8") if patch.startswith("@") else patch
    try:
        value = json.loads(text)
    except ValueError as exc:
        raise click.ClickException(f"the patch is not JSON: {exc}") from None
    runtime, _ = _installation(installation_id)
    with transaction(runtime.sessions) as session:
        installation = session.get(Installation, installation_id)
        tables = {**table_overrides(installation.overrides), table: value}
        if value == {}:
            del tables[table]
        overrides = {**installation.overrides, TABLES_KEY: tables}
        if not tables:
            del overrides[TABLES_KEY]
        try:
            validated(runtime.registry.get(installation.connector), installation.settings, overrides)
        except InstallationError as exc:
            problems = "\n".join(f"  {path}: {' '.join(msgs)}" for path, msgs in sorted(exc.details.items()))
            raise click.ClickException(f"{exc}\n{problems}") from None
        installation.overrides = overrides
    click.echo(f"Saved. The table {table} of {installation_id} is now patched with {json.dumps(value)}; "
               f"see it with: hub mappings show {installation_id}" if value != {} else f"Removed the patch of {table}.")
