"""For admins: API keys for integrations, carriers and drivers (minted with hub.ledger.keys, as /api/v1/keys
and `hub keys` do; a new key is shown once, in the answer to the form, and never again), and the people of
the tenant who sign in to the console."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.accounts.passwords import WeakPassword
from hub.accounts.users import ROLES, AccountError, add_user, list_users, remove_user
from hub.console.blueprint import blp
from hub.console.session import operator, require
from hub.db.engine import transaction
from hub.db.models import Tenant
from hub.db.models.fleet import Carrier, Driver
from hub.ledger.keys import KeyRefused, describe, list_keys, mint_key, revoke_key
from hub.runtime import get_runtime

MINTABLE = ("integration", "carrier", "driver")  # admin keys stay with `hub init --new-admin-key` and the API


def _keys_page(db: Session, minted: dict[str, Any] | None = None, error: str | None = None) -> tuple[str, int]:
    tenant_id = operator().tenant_id
    subjects = {"carrier": db.execute(select(Carrier).where(Carrier.tenant_id == tenant_id).order_by(Carrier.name)).scalars().all(),
                "driver": db.execute(select(Driver).where(Driver.tenant_id == tenant_id).order_by(Driver.name)).scalars().all()}
    body = render_template("console/keys.html", keys=[describe(k) for k in list_keys(db, tenant_id)],
                           subjects=subjects, roles=MINTABLE, minted=minted, error=error)
    return body, 201 if minted else (422 if error else 200)


@blp.route("/keys")
@require("manage")
def keys() -> Any:
    with get_runtime().sessions() as db:
        return _keys_page(db)


@blp.route("/keys", methods=["POST"])
@require("manage")
def mint() -> Any:
    role = request.form.get("role", "")
    subject = (request.form.get(f"subject_{role}") or "").strip() or None
    label = (request.form.get("label") or "").strip()[:120]
    try:
        if role not in MINTABLE:
            raise KeyRefused(f"choose one of: {', '.join(MINTABLE)}")
        with transaction(get_runtime().sessions) as db:
            row, plaintext = mint_key(db, db.get(Tenant, operator().tenant_id), role, subject_id=subject, label=label)
            minted = {**describe(row), "key": plaintext}
    except KeyRefused as exc:
        with get_runtime().sessions() as db:
            return _keys_page(db, error=str(exc))
    with get_runtime().sessions() as db:
        return _keys_page(db, minted=minted)


@blp.route("/keys/<key_id>/revoke", methods=["POST"])
@require("manage")
def revoke(key_id: str) -> Any:
    try:
        with transaction(get_runtime().sessions) as db:
            row = revoke_key(db, operator().tenant_id, key_id)
            flash(f"Key {row.prefix}… ({row.role}) is revoked: its next request is refused.", "ok")
    except KeyRefused as exc:
        if "no key" in str(exc):
            return render_template("console/error.html", title="Not found", code=404, message=None), 404
        flash(str(exc), "error")
    return redirect(url_for("console.keys"))


@blp.route("/people")
@require("manage")
def users() -> Any:
    with get_runtime().sessions() as db:
        tenant = db.get(Tenant, operator().tenant_id)
        people = [user for user, _ in list_users(db, tenant.name)]
        return render_template("console/people.html", people=people, roles=ROLES)


@blp.route("/people", methods=["POST"])
@require("manage")
def add_person() -> Any:
    try:
        with transaction(get_runtime().sessions) as db:
            tenant = db.get(Tenant, operator().tenant_id)
            user = add_user(db, request.form.get("email", ""), tenant.name, request.form.get("role", ""),
                            request.form.get("password", ""))
            flash(f"{user.email} may sign in now, as {user.role}.", "ok")
    except (AccountError, WeakPassword) as exc:
        flash(str(exc), "error")
    return redirect(url_for("console.users"))


@blp.route("/people/remove", methods=["POST"])
@require("manage")
def remove_person() -> Any:
    email = request.form.get("email", "")
    if email.strip().lower() == operator().email:
        flash("You cannot remove yourself: ask another admin.", "error")
        return redirect(url_for("console.users"))
    try:
        with transaction(get_runtime().sessions) as db:
            removed = remove_user(db, email, tenant_id=operator().tenant_id)
            flash(f"{removed.email} can no longer sign in.", "ok")
    except AccountError as exc:
        flash(str(exc), "error")
    return redirect(url_for("console.users"))
