"""Delivery hub: the control tower between stores, warehouses, fleets and carriers."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from flask import Flask

from hub.version import __version__

__all__ = ["__version__", "create_app"]


def create_app(*args: Any, **kwargs: Any) -> "Flask":
    """The Flask app, for `gunicorn 'hub:create_app()'`; the same as hub.app.create_app."""
    # hub.app imports the whole web layer (Flask, every room); importing it with the package would load all of
    # that for a connector that only wants hub.plugins. The package root is the one place allowed to defer.
    from hub import app

    return app.create_app(*args, **kwargs)
