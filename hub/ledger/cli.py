"""`hub keys create|list|revoke`: a tenant's API keys, as `/api/v1/keys` manages them (hub/ledger/keys.py)."""

from __future__ import annotations

import json
from typing import Any

import click

from hub.db.engine import transaction
from hub.db.models import Tenant
from hub.ledger.keys import KeyRefused, describe, list_keys, mint_key, revoke_key
from hub.ledger.tenants import ROLES, get_tenant_by_name
from hub.runtime import cli_runtime



def _tenant(session: Any, name: str) -> Tenant:
    row = get_tenant_by_name(session, name)
    if row is None:
        raise click.ClickException(f"no tenant named {name!r}; create it with: hub init --tenant {name}")
    return row


def _line(key: dict[str, Any]) -> str:
    state = "active" if key["active"] else f"revoked {key['revoked_at']}"
    subject = f" for {key['subject_id']}" if key["subject_id"] else ""
    used = key["last_used_at"] or "never"
    return f"{key['id']}  {key['prefix']}...  {key['role']}{subject}  last used {used}  {state}  {key['label']}".rstrip()


@click.group("keys", help="A tenant's API keys: mint one for an integration, a carrier or a driver (shown once), "
             "list them with their last use, revoke one.")
def keys_group() -> None:
    pass


@keys_group.command("create", help="Mint a key. Carrier and driver keys are bound to their subject (--subject, "
                    "the carrier's or driver's id in this tenant). The key is printed once and never stored.")
@click.option("--tenant", required=True, help="Tenant name.")
@click.option("--role", required=True, type=click.Choice(ROLES), help="What the key may do.")
@click.option("--subject", "subject_id", default=None, help="The carrier id (role carrier) or driver id (role driver).")
@click.option("--label", default="", help="A note to tell keys apart, e.g. the system that uses it.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def create(tenant: str, role: str, subject_id: str | None, label: str, as_json: bool) -> None:
    runtime = cli_runtime()
    try:
        with transaction(runtime.sessions) as session:
            row, plaintext = mint_key(session, _tenant(session, tenant), role, subject_id=subject_id, label=label)
            data = {**describe(row), "key": plaintext}
    except KeyRefused as exc:
        raise click.ClickException(str(exc)) from None
    text = f"Key {data['id']} ({role}{' for ' + subject_id if subject_id else ''}), shown only now:\n  {plaintext}"
    click.echo(json.dumps(data, indent=2) if as_json else text)


@keys_group.command("list", help="The tenant's keys (never the keys themselves): role, subject, last use, revoked.")
@click.option("--tenant", required=True, help="Tenant name.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def list_command(tenant: str, as_json: bool) -> None:
    runtime = cli_runtime()
    with runtime.sessions() as session:
        items = [describe(k) for k in list_keys(session, _tenant(session, tenant).id)]
    click.echo(json.dumps({"items": items}, indent=2) if as_json else "\n".join(map(_line, items)) or "no keys")


@keys_group.command("revoke", help="Revoke a key for good: its next request is refused (401).")
@click.argument("key_id")
@click.option("--tenant", required=True, help="Tenant name.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def revoke(key_id: str, tenant: str, as_json: bool) -> None:
    runtime = cli_runtime()
    try:
        with transaction(runtime.sessions) as session:
            data = describe(revoke_key(session, _tenant(session, tenant).id, key_id))
    except KeyRefused as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(json.dumps(data, indent=2) if as_json else f"Revoked {data['id']} ({data['role']}) at {data['revoked_at']}.")
