"""The console as the app factory mounts it: the blueprint with every page, and its sign-in set-up."""

from __future__ import annotations

from flask import Flask

from hub.config import Config
from hub.console import admin, analytics, deliveries, exceptions, integrations, live, routes  # noqa: F401 (each adds its pages)
from hub.console import session as console_session
from hub.console.blueprint import EXTENSION, blp
from hub.console.throttle import SignInThrottle


def init_app(app: Flask, config: Config, redis_url: str) -> None:
    console_session.configure(app, config)
    app.extensions[EXTENSION] = SignInThrottle(redis_url, config.rate_limit_auth_failures)
    app.register_blueprint(blp)
