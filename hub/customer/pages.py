"""The customer's tracking page: GET /t/<token> (server-rendered), GET /t/<token>/events (server-sent events for
the page's script), POST /t/<token>/rating (the rating form), GET /t/<token>/logo (an uploaded logo), and
the page's own stylesheet and script under /t/assets/.

The token is the only key. An unknown token answers 404 and an expired one 410, each a page that shows
nothing of the delivery. Every answer carries no-referrer, no-store, noindex and a self-only CSP.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

from flask import Blueprint, Response, abort, current_app, g, redirect, render_template, request
from sqlalchemy.orm import Session

from hub import sse
from hub.customer.facts import Facts, gather
from hub.customer.rating import RatingRefused, form_nonce, nonce_ok, parse_rating, record_rating
from hub.customer.view import page_view
from hub.customer.words import LANGUAGE_NAMES, LANGUAGES, pick_language, say
from hub.db.engine import transaction
from hub.db.models import Delivery, utcnow
from hub.ledger.tracking_links import delivery_for_token
from hub.runtime import get_runtime
from hub.tracking.page_settings import COLOUR, PageSettings

ASSETS = "/t/assets"
blp = Blueprint("customer", __name__, template_folder="templates", static_folder="static", static_url_path=ASSETS)

# How often a live stream looks for news: ETAs and stops change on the minute scale, so one to two seconds
# feels instant without loading the database.
POLL_S = 1.5
# A stream ends after this and the browser's EventSource reconnects: no server thread is held for ever.
STREAM_S = 55
# Without JavaScript the page reloads itself this often while the delivery is under way.
REFRESH_S = 60
LIVE_FIELDS = ("status", "phase", "head", "headline", "timeline", "window", "eta", "stops", "driver", "vehicle",
               "map", "map_note", "destination")


# ---- headers --------------------------------------------------------------------------------------------

def content_security_policy(extra_image_origins: list[str]) -> str:
    images = " ".join(["'self'", *extra_image_origins])
    return ("default-src 'none'; script-src 'self'; style-src 'self'; "
            f"img-src {images}; connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'")


@blp.after_request
def private_headers(response: Response) -> Response:
    if request.path.startswith(ASSETS + "/"):
        response.headers["Cache-Control"] = "public, max-age=3600"  # our own assets: the same for everyone
    else:
        response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = content_security_policy(g.get("image_origins", []))
    return response


# ---- helpers --------------------------------------------------------------------------------------------

def text_colour(background: str) -> str:
    """Black or white text, whichever reads better on the tenant's colour (WCAG relative luminance)."""
    channels = [int(background[i:i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    luminance = 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]
    return "#111111" if (luminance + 0.05) / 0.05 > 1.05 / (luminance + 0.05) else "#ffffff"


def expired(facts: Facts, now: datetime) -> bool:
    return facts.ended_at is not None and now > facts.ended_at + timedelta(days=facts.settings.link_days_after_end)


def language(delivery: Delivery) -> str:
    country = ((delivery.document.get("dropoff") or {}).get("address") or {}).get("country")
    return pick_language(request.args.get("lang"), country, request.accept_languages)


def stream_seconds() -> float:
    return float(current_app.config.get("HUB_TRACKING_STREAM_S", STREAM_S))


def _bare(template: str, status: int, lang: str) -> Response:
    """The 404 and 410 pages: what happened, nothing about the delivery or its sender."""
    html = render_template(template, lang=lang, t=lambda text, **kw: say(lang, text, **kw))
    return Response(html, status=status, mimetype="text/html")


def _open(session: Session, token: str) -> tuple[Delivery | None, Facts | None]:
    delivery = delivery_for_token(session, token)
    if delivery is None:
        return None, None
    return delivery, gather(session, delivery, get_runtime().config, utcnow())


def render_page(token: str, *, notice: str | None = None, status: int = 200) -> Response:
    with get_runtime().sessions() as session:
        delivery, facts = _open(session, token)
        fallback = pick_language(request.args.get("lang"), None, request.accept_languages)
        if delivery is None or facts is None:
            return _bare("not_found.html", 404, fallback)
        lang = language(delivery)
        if expired(facts, utcnow()):
            return _bare("expired.html", 410, lang)
        view = page_view(facts, lang, token, utcnow())
    settings: PageSettings = facts.settings
    g.image_origins = settings.extra_image_origins()
    logo = f"/t/{token}/logo" if settings.logo else settings.logo_url
    html = render_template(
        "tracking.html", v=view, lang=lang, token=token, settings=settings, logo=logo,
        brand_css=f"{ASSETS}/brand/{settings.colour.lstrip('#').lower()}{text_colour(settings.colour).lstrip('#')}.css",
        rating=facts.rating, nonce=form_nonce(get_runtime().config.secret_key, token),
        notice=notice, refresh_s=REFRESH_S, languages=[(code, LANGUAGE_NAMES[code]) for code in LANGUAGES],
        t=lambda text, **kw: say(lang, text, **kw))
    return Response(html, status=status, mimetype="text/html")


# ---- routes ---------------------------------------------------------------------------------------------

@blp.route("/t/<token>", methods=["GET"])
def tracking_page(token: str) -> Response:
    return render_page(token)


@blp.route("/t/<token>/rating", methods=["POST"])
def rate(token: str) -> Any:
    config = get_runtime().config
    if not nonce_ok(config.secret_key, token, request.form.get("nonce")):
        return render_page(token, notice="The form expired. Please send your rating again.", status=400)
    try:
        data = parse_rating(request.form)
        with transaction(get_runtime().sessions) as session:
            delivery, facts = _open(session, token)
            if delivery is None or facts is None or expired(facts, utcnow()):
                return render_page(token)  # the same 404 / 410 page as a GET
            record_rating(session, delivery, data)
    except RatingRefused as exc:
        return render_page(token, notice=str(exc), status=422)
    lang = request.args.get("lang")
    return redirect(f"/t/{token}{'?lang=' + lang if lang in LANGUAGES else ''}#rating", code=303)


@blp.route("/t/<token>/logo", methods=["GET"])
def logo(token: str) -> Response:
    with get_runtime().sessions() as session:
        delivery, facts = _open(session, token)
        if delivery is None or facts is None or facts.settings.logo is None or expired(facts, utcnow()):
            abort(404)
        content_type, data = facts.settings.logo
    return Response(data, mimetype=content_type)


@blp.route(f"{ASSETS}/brand/<spec>.css", methods=["GET"])
def brand_css(spec: str) -> Response:
    """The tenant's colour as CSS custom properties: a stylesheet of our own, so the CSP needs no inline style."""
    background, foreground = f"#{spec[:6]}", f"#{spec[6:]}"
    if len(spec) != 12 or not COLOUR.match(background) or foreground not in ("#111111", "#ffffff"):
        abort(404)
    css = f":root{{--brand:{background};--brand-text:{foreground}}}\n"
    return Response(css, mimetype="text/css")


def live(view: dict[str, Any]) -> dict[str, Any]:
    return {k: view[k] for k in LIVE_FIELDS}


def event_stream(token: str, lang: str, seconds: float) -> Iterator[str]:
    """Server-sent events (hub.sse): the live part of the page whenever it changes, for `seconds`, then the
    stream ends and the browser reconnects. Each look opens and closes its own session."""
    def look() -> str | None:
        with get_runtime().sessions() as session:
            delivery, facts = _open(session, token)
            if delivery is None or facts is None or expired(facts, utcnow()):
                return None
            return json.dumps(live(page_view(facts, lang, token, utcnow())), sort_keys=True)
    return sse.watch(look, every_s=POLL_S, for_s=seconds)


@blp.route("/t/<token>/events", methods=["GET"])
def events(token: str) -> Response:
    with get_runtime().sessions() as session:
        delivery, facts = _open(session, token)
        if delivery is None or facts is None:
            return Response("unknown tracking link\n", status=404, mimetype="text/plain")
        if expired(facts, utcnow()):
            return Response("this tracking link has expired\n", status=410, mimetype="text/plain")
        lang = language(delivery)
    return sse.response(event_stream(token, lang, stream_seconds()))
