"""Delivery hub: the control tower between stores, warehouses, fleets and carriers."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from flask import Flask

__version__ = "0.1.0"


def create_app(*args: Any, **kwargs: Any) -> "Flask":
    """The Flask app, for `gunicorn 'hub:create_app()'`; the same as hub.app.create_app."""
    # hub.app imports the whole web layer; importing it at package import time would make `import hub`
    # heavy and circular (hub.app itself imports `hub.__version__`).
    from hub import app

    return app.create_app(*args, **kwargs)
