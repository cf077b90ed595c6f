"""`hub users add|list|remove`: the people who sign in to the console (hub/accounts/users.py)."""

from __future__ import annotations

import json
import sys

import click

from hub.accounts.passwords import WeakPassword
from hub.accounts.users import ROLES, AccountError, add_user, describe, list_users, remove_user
from hub.db.engine import transaction
from hub.runtime import cli_runtime



def _password(from_stdin: bool) -> str:
    if from_stdin:  # scripts and CI: the first line of standard input, so it never shows in `ps` or history
        return sys.stdin.readline().rstrip("\r\n")
    return str(click.prompt("Password", hide_input=True, confirmation_prompt=True))


@click.group("users", help="People who sign in to the operator console (/console/), each in one tenant with one "
             "role: admin (people and API keys too), dispatcher (acts on deliveries and routes), viewer (sees only).")
def users_group() -> None:
    pass


@users_group.command("add", help="Add a person. Asks for the password twice, or reads it from standard input with "
                     "--password-stdin (at least 12 characters).")
@click.argument("email")
@click.option("--tenant", required=True, help="Tenant name (created by hub init).")
@click.option("--role", required=True, help=f"One of: {', '.join(ROLES)}.")
@click.option("--password-stdin", is_flag=True, help="Read the password from the first line of standard input.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def add(email: str, tenant: str, role: str, password_stdin: bool, as_json: bool) -> None:
    if role not in ROLES:  # said before the password is asked for
        raise click.ClickException(f"unknown role {role!r}; roles are {', '.join(ROLES)}")
    runtime = cli_runtime()
    password = _password(password_stdin)
    try:
        with transaction(runtime.sessions) as session:
            data = describe(add_user(session, email, tenant, role, password), tenant)
    except (AccountError, WeakPassword) as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(json.dumps(data, indent=2) if as_json else
               f"Added {data['email']} ({role}) to tenant {tenant}; sign in at {runtime.config.public_url}/console/login")


@users_group.command("list", help="The people who may sign in, with their tenant, role and last sign-in.")
@click.option("--tenant", default=None, help="Only this tenant's people.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def list_command(tenant: str | None, as_json: bool) -> None:
    runtime = cli_runtime()
    with runtime.sessions() as session:
        items = [describe(user, name) for user, name in list_users(session, tenant)]
    lines = [f"{u['email']}  {u['tenant']}  {u['role']}  last sign-in {u['last_sign_in_at'] or 'never'}" for u in items]
    click.echo(json.dumps({"items": items}, indent=2) if as_json else "\n".join(lines) or "no users")


@users_group.command("remove", help="Remove a person; their open console sessions end at their next click.")
@click.argument("email")
def remove(email: str) -> None:
    runtime = cli_runtime()
    try:
        with transaction(runtime.sessions) as session:
            user = remove_user(session, email)
    except AccountError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"Removed {user.email}.")
