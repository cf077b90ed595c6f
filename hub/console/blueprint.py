"""The console's blueprint: sign in and out, the CSRF check on every form, the pages' shared context and
error pages. The pages themselves live in the modules beside this one (hub/console/web.py gathers them)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, Response, abort, current_app, g, redirect, render_template, request, url_for
from werkzeug.exceptions import HTTPException

from hub.accounts.users import ROLES, can, sign_in
from hub.console import session as console_session
from hub.console.throttle import SignInThrottle
from hub.db.engine import transaction
from hub.db.models import Tenant
from hub.runtime import get_runtime

blp = Blueprint("console", __name__, url_prefix="/console", template_folder="templates",
                static_folder="static", static_url_path="/static")
EXTENSION = "hub_console_sign_in"
NAV = (("console.today", "Today"), ("console.exceptions", "Exceptions"), ("console.live_map", "Live map"),
       ("console.routes", "Routes"), ("console.integrations", "Integrations"), ("console.analytics", "Analytics"))
ADMIN_NAV = (("console.keys", "API keys"), ("console.users", "People"))


@blp.context_processor
def _context() -> dict[str, Any]:
    user = g.get("operator")
    tenant_name = None
    if user is not None:
        with get_runtime().sessions() as db:
            tenant = db.get(Tenant, user.tenant_id)
            tenant_name = tenant.name if tenant else None
    return {"csrf_token": console_session.csrf_token, "operator": user, "tenant_name": tenant_name,
            "can": (lambda ability: user is not None and can(user.role, ability)),
            "nav": NAV, "admin_nav": ADMIN_NAV, "roles": ROLES}


@blp.before_request
def _check_csrf() -> None:
    """Every POST to the console carries this session's CSRF token, the sign-in form included."""
    if request.method == "POST" and not console_session.csrf_ok():
        abort(400, "this form has expired or did not come from the console: reload the page and try again")


@blp.after_request
def _no_store(response: Response) -> Response:
    """Pages show a tenant's customers: never kept in a shared cache, never framed by another site."""
    response.headers.setdefault("Cache-Control", "no-store")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Content-Security-Policy", "default-src 'self'; img-src 'self' data: https:; "
                                "style-src 'self'; script-src 'self'; frame-ancestors 'none'")
    return response


@blp.errorhandler(HTTPException)
def _error_page(exc: HTTPException) -> tuple[str, int]:
    titles = {400: "That did not work", 401: "Please sign in", 403: "Not allowed", 404: "Not found",
              429: "Too many tries"}
    code = exc.code or 500
    return render_template("console/error.html", title=titles.get(code, exc.name), code=code,
                           message=exc.description if code in (400, 403, 429) else None), code


def _safe_next(target: str | None) -> str:
    """Only a path inside the console: never another site (an open redirect)."""
    if target and target.startswith("/console") and not urlsplit(target).netloc and "\\" not in target:
        return target
    return url_for("console.today")


def throttle() -> SignInThrottle:
    return current_app.extensions[EXTENSION]  # type: ignore[no-any-return]


@blp.route("/login", methods=["GET", "POST"])
def login() -> Any:
    next_url = _safe_next(request.values.get("next"))
    if request.method == "GET":
        if console_session.load_operator() is not None:
            return redirect(next_url)
        return render_template("console/login.html", next_url=next_url, error=None)
    email, password = request.form.get("email", ""), request.form.get("password", "")
    address = request.remote_addr or "unknown"
    wait = throttle().wait_s(address, email)
    if wait:
        body = render_template("console/login.html", next_url=next_url,
                               error=f"Too many failed sign-ins. Try again in {wait} s.")
        return body, 429, {"Retry-After": str(wait)}
    with transaction(get_runtime().sessions) as db:
        user = sign_in(db, email, password)
        if user is not None:
            console_session.begin(user)
    if user is None:
        throttle().failed(address, email)
        return render_template("console/login.html", next_url=next_url, email=email,
                               error="The email or the password is not right."), 401
    return redirect(next_url)


@blp.route("/logout", methods=["POST"])
def logout() -> Any:
    console_session.end()
    return redirect(url_for("console.login"))


@blp.route("/")
def home() -> Any:
    return redirect(url_for("console.today"))
