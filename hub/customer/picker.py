"""/slots/picker.js: the embeddable slot picker a shop page loads with a publishable key
(`<script src="{hub}/slots/picker.js" data-key="pk_...">`). Plain JavaScript of our own, no CDN."""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, Response

ASSETS = Path(__file__).resolve().parent / "slot_assets"
# Shops embed it on every page: five minutes of caching spares the hub, and a fix still reaches them soon.
CACHE_S = 300

blp = Blueprint("slot_picker", __name__)


@blp.route("/slots/picker.js", methods=["GET"])
def picker_js() -> Response:
    response = Response((ASSETS / "picker.js").read_text(encoding="utf-8"), mimetype="application/javascript")
    response.headers["Cache-Control"] = f"public, max-age={CACHE_S}"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
