"""The one-click unsubscribe page behind the signed link in every customer email (hub/notify/links.py).

Following the link opts the address out at once and says so; the page offers to subscribe again (a button,
a POST), since mail scanners sometimes open links a person never clicked. Mail clients that support RFC 8058
POST "List-Unsubscribe=One-Click" to the same address. No JavaScript, no key: the signature is the key.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template, request

from hub.customer.words import pick_language, say
from hub.db.engine import transaction
from hub.db.models import Tenant
from hub.notify.links import UNSUBSCRIBE_PATH, read_unsubscribe_token
from hub.notify.optout import opt_in, opt_out
from hub.notify.settings import load_settings_for
from hub.runtime import get_runtime

pages = Blueprint("notify_pages", __name__, url_prefix=UNSUBSCRIBE_PATH.rstrip("/"), template_folder="templates",
                  static_folder="static", static_url_path="/static")


def _sender(session: Any, tenant_id: str) -> str:
    settings = load_settings_for(session, tenant_id, with_secrets=False)
    tenant = session.get(Tenant, tenant_id)
    return str(settings.get("sender_name") or (tenant.name if tenant else ""))


def _render(state: str, token: str, **values: Any) -> str:
    # The email's language (its link carries ?lang=), else the browser's, else English.
    lang = pick_language(request.args.get("lang"), None, request.accept_languages)
    return render_template("notify/unsubscribe.html", state=state, token=token, lang=lang,
                           t=lambda text, **kw: say(lang, text, **kw), **values)


def _page(token: str, done: str) -> tuple[str, int]:
    runtime = get_runtime()
    found = read_unsubscribe_token(runtime.config.secret_key, token)
    with transaction(runtime.sessions) as session:
        if found is None or session.get(Tenant, found.tenant_id) is None:
            return _render("invalid", token, sender=""), 404
        if done == "resubscribed":
            opt_in(session, found.tenant_id, found.channel, found.address)
        else:
            opt_out(session, found.tenant_id, found.channel, found.address, done)
        sender = _sender(session, found.tenant_id)
    return _render(done, token, sender=sender, address=found.address), 200


@pages.route("/<token>", methods=["GET"])
def unsubscribe(token: str) -> tuple[str, int]:
    return _page(token, "email_link")


@pages.route("/<token>", methods=["POST"])
def one_click(token: str) -> tuple[str, int]:
    return _page(token, "email_one_click")


@pages.route("/<token>/resubscribe", methods=["POST"])
def resubscribe(token: str) -> tuple[str, int]:
    return _page(token, "resubscribed")
