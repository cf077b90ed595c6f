"""The Flask app factory: defaults, then HUB_* environment, then explicit overrides."""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask_smorest import Api

from hub.api import (
    assignment,
    capacity,
    carrier,
    custody,
    deliveries,
    driver,
    errors,
    hooks,
    inbox,
    installations,
    limits,
    media,
    meta,
    recovery,
    routes_api,
    subscriptions,
)
from hub.config import Config
from hub.runtime import Runtime, build_runtime, get_runtime, set_runtime
from hub.version import __version__


def create_app(config: Config | dict[str, Any] | None = None, runtime: Runtime | None = None) -> Flask:
    if runtime is None:
        if isinstance(config, Config):
            runtime = build_runtime(config)
        elif config:
            runtime = build_runtime(Config.from_env(**config))
        else:
            runtime = get_runtime()
    set_runtime(runtime)
    app = Flask("hub")
    app.config.update(
        API_TITLE="Delivery hub",
        API_VERSION=__version__,
        OPENAPI_VERSION="3.1.0",
        OPENAPI_URL_PREFIX="/api",
        OPENAPI_JSON_PATH="openapi.json",
        OPENAPI_SWAGGER_UI_PATH="docs",
        OPENAPI_SWAGGER_UI_URL="https://cdn.jsdelivr.net/npm/swagger-ui-dist/",
        API_SPEC_OPTIONS={
            "info": {"description": "Canonical deliveries, connectors, inbound webhooks. Authenticate with "
                     "'Authorization: Bearer <key>' (hub init prints the first admin key)."},
            "components": {"securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}},
            "security": [{"bearer": []}],
        },
        JSON_SORT_KEYS=False,
        MAX_CONTENT_LENGTH=runtime.config.max_upload_bytes,  # the ceiling; hub/api/limits.py sets each route's
        HUB_RUNTIME=runtime,
    )
    api = Api(app)

    for blueprint in (deliveries.blp, installations.blp, meta.blp, hooks.blp, subscriptions.blp,
                      capacity.blp, assignment.blp, carrier.blp,
                      driver.blp, custody.blp, media.blp, routes_api.blp,
                      recovery.blp, inbox.blp):
        api.register_blueprint(blueprint)
    app.register_blueprint(meta.health)
    errors.register_error_handlers(app)
    limits.register_body_limits(app)
    return app
