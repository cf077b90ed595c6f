"""Operator accounts: argon2id hashes, sign-in, and `hub users add|list|remove` with clear errors."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from hub.accounts.passwords import WeakPassword
from hub.accounts.users import AccountError, add_user, find_user, remove_user, sign_in
from hub.cli import main
from hub.db.engine import transaction
from tests.console.people import PASSWORD


def test_a_password_is_stored_as_an_argon2id_hash_and_checked(clean, tenant):  # type: ignore[no-untyped-def]
    with transaction(clean.sessions) as session:
        user = add_user(session, " Ada@Example.COM ", tenant["name"], "dispatcher", PASSWORD)
        assert user.email == "ada@example.com"
        assert user.password_hash.startswith("$argon2id$") and PASSWORD not in user.password_hash
    with transaction(clean.sessions) as session:
        assert sign_in(session, "ADA@example.com", PASSWORD).role == "dispatcher"
        assert sign_in(session, "ada@example.com", PASSWORD + "x") is None
        assert sign_in(session, "nobody@example.com", PASSWORD) is None
        assert find_user(session, "ada@example.com").last_sign_in_at is not None


def test_accounts_refuse_what_makes_no_sense(clean, tenant):  # type: ignore[no-untyped-def]
    with transaction(clean.sessions) as session:
        with pytest.raises(AccountError, match="no tenant named 'nope'"):
            add_user(session, "a@example.com", "nope", "viewer", PASSWORD)
        with pytest.raises(AccountError, match="unknown role 'boss'; roles are admin, dispatcher, viewer"):
            add_user(session, "a@example.com", tenant["name"], "boss", PASSWORD)
        with pytest.raises(AccountError, match="not an email address"):
            add_user(session, "not-an-email", tenant["name"], "viewer", PASSWORD)
        with pytest.raises(WeakPassword, match="at least 12 characters"):
            add_user(session, "a@example.com", tenant["name"], "viewer", "short")
        add_user(session, "a@example.com", tenant["name"], "viewer", PASSWORD)
        with pytest.raises(AccountError, match="exists already"):
            add_user(session, "A@example.com", tenant["name"], "admin", PASSWORD)
        with pytest.raises(AccountError, match="no account"):
            remove_user(session, "a@example.com", tenant_id="ten_someone_else")
        remove_user(session, "a@example.com")
        assert find_user(session, "a@example.com") is None


def test_hub_users_add_list_remove(clean, tenant):  # type: ignore[no-untyped-def]
    runner = CliRunner()
    added = runner.invoke(main, ["users", "add", "ops@example.com", "--tenant", tenant["name"], "--role", "admin",
                                 "--password-stdin"], input=PASSWORD + "\n")
    assert added.exit_code == 0, added.output
    assert "Added ops@example.com (admin)" in added.output and "/console/login" in added.output
    prompted = runner.invoke(main, ["users", "add", "view@example.com", "--tenant", tenant["name"], "--role", "viewer"],
                             input=f"{PASSWORD}\n{PASSWORD}\n")
    assert prompted.exit_code == 0, prompted.output
    listed = runner.invoke(main, ["users", "list", "--tenant", tenant["name"]])
    assert "ops@example.com" in listed.output and "view@example.com  " in listed.output and "never" in listed.output
    assert PASSWORD not in listed.output

    unknown_tenant = runner.invoke(main, ["users", "add", "x@example.com", "--tenant", "nope", "--role", "viewer",
                                          "--password-stdin"], input=PASSWORD + "\n")
    assert unknown_tenant.exit_code != 0 and "no tenant named 'nope'; create it with: hub init --tenant nope" \
        in unknown_tenant.output
    unknown_role = runner.invoke(main, ["users", "add", "x@example.com", "--tenant", tenant["name"], "--role", "boss",
                                        "--password-stdin"], input=PASSWORD + "\n")
    assert unknown_role.exit_code != 0 and "unknown role 'boss'; roles are admin, dispatcher, viewer" in unknown_role.output
    weak = runner.invoke(main, ["users", "add", "x@example.com", "--tenant", tenant["name"], "--role", "viewer",
                                "--password-stdin"], input="short\n")
    assert weak.exit_code != 0 and "at least 12 characters" in weak.output

    removed = runner.invoke(main, ["users", "remove", "view@example.com"])
    assert removed.exit_code == 0 and "Removed view@example.com" in removed.output
    again = runner.invoke(main, ["users", "remove", "view@example.com"])
    assert again.exit_code != 0 and "no account for view@example.com" in again.output
