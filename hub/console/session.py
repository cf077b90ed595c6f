"""Who is signed in to the console: a signed cookie (Flask's session) naming the account, a CSRF token for
every form, and the rules on each request (signed in, same tenant, allowed to act).

The cookie is signed with a key derived from HUB_SECRET_KEY for this one purpose (so it is never the key that
encrypts stored secrets), HttpOnly, SameSite=Lax, Secure when HUB_PUBLIC_URL is https, and ends after
SESSION_LIFETIME. It holds the account id only: the account is read again on every request, so a removed
person or a changed role counts at their next click.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import timedelta
from functools import wraps
from typing import Any, Callable

from flask import Flask, abort, g, redirect, request, session, url_for

from hub.accounts.users import can
from hub.config import Config
from hub.db.models.accounts import OperatorUser
from hub.runtime import get_runtime

# A working day and then some: a dispatcher signs in once per shift, and a stolen laptop's cookie dies overnight.
SESSION_LIFETIME = timedelta(hours=12)
COOKIE_NAME = "hub_console"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"


def session_key(secret_key: str) -> str:
    """The cookie-signing key: HMAC of the hub's secret key with this purpose's name."""
    return hmac.new(secret_key.encode("utf-8"), b"hub console session cookie", hashlib.sha256).hexdigest()


def configure(app: Flask, config: Config) -> None:
    app.secret_key = session_key(config.secret_key)
    app.config.update(SESSION_COOKIE_NAME=COOKIE_NAME, SESSION_COOKIE_HTTPONLY=True, SESSION_COOKIE_SAMESITE="Lax",
                      SESSION_COOKIE_SECURE=config.public_url.startswith("https://"),
                      PERMANENT_SESSION_LIFETIME=SESSION_LIFETIME)


def csrf_token() -> str:
    """This session's token for forms (made on first use, kept for the session)."""
    if CSRF_FIELD not in session:
        session[CSRF_FIELD] = secrets.token_urlsafe(32)
    return str(session[CSRF_FIELD])


def csrf_ok() -> bool:
    sent = request.form.get(CSRF_FIELD) or request.headers.get(CSRF_HEADER) or ""
    expected = session.get(CSRF_FIELD) or ""
    return bool(sent) and bool(expected) and hmac.compare_digest(str(sent), str(expected))


def begin(user: OperatorUser) -> None:
    """A fresh session for this person (nothing carried over from before sign-in, a new CSRF token)."""
    session.clear()
    session.permanent = True
    session["uid"] = user.id
    csrf_token()


def end() -> None:
    session.clear()


def load_operator() -> OperatorUser | None:
    """The signed-in account, read from the database (None when signed out or the account is gone)."""
    uid = session.get("uid")
    if not uid:
        return None
    with get_runtime().sessions() as db:
        user = db.get(OperatorUser, uid)
        if user is not None:
            db.expunge(user)
    return user


def operator() -> OperatorUser:
    return g.operator  # type: ignore[no-any-return]


def require(ability: str = "see", *, sign_in_page: bool = True) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """The view needs a signed-in person whose role has `ability` (see, act, manage); 403 otherwise. Signed
    out, a GET goes to the sign-in page, unless `sign_in_page` is False (an event stream): 401 then."""
    def decorate(view: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            user = load_operator()
            if user is None:
                if request.method == "GET" and sign_in_page:
                    return redirect(url_for("console.login", next=request.full_path.rstrip("?")))
                abort(401)
            g.operator = user
            if not can(user.role, ability):
                abort(403, f"your role ({user.role}) may not do this")
            return view(*args, **kwargs)
        return wrapper
    return decorate


def same_tenant(row: Any) -> Any:
    """The row when it belongs to the signed-in person's tenant; 404 otherwise (another tenant's things do not
    exist for them, exactly as the API answers)."""
    if row is None or getattr(row, "tenant_id", None) != operator().tenant_id:
        abort(404)
    return row
