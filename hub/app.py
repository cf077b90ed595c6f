"""The Flask app factory: defaults, then HUB_* environment, then explicit overrides."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask

from hub.api import (
    analytics,
    assignment,
    body_limits,
    carrier,
    custody,
    deliveries,
    driver,
    errors,
    fleet,
    hooks,
    inbox,
    installations,
    keys,
    limits,
    media,
    meta,
    notify,
    recovery,
    routes_api,
    slots,
    slots_checkout,
    subscriptions,
    tracking_page,
)
from hub.api.declare import HubApi
from hub.api.requests import register_nul_guard
from hub.console import web as console
from hub.config import Config
from hub.customer import next_attempt, picker
from hub.customer import pages as customer_pages
from hub.customer import unsubscribe
from hub.runtime import Runtime, build_runtime, get_runtime, set_runtime
from hub.version import __version__

# Swagger UI's files (hub/api/static/swagger-ui, from the npm package swagger-ui-dist), for /api/docs.
DOCS_ASSETS = "/api/docs/assets"
docs_assets = Blueprint("docs_assets", "hub.api", static_folder="static/swagger-ui", static_url_path=DOCS_ASSETS)


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
        OPENAPI_SWAGGER_UI_URL=f"{DOCS_ASSETS}/",  # served by the hub: the docs work offline
        API_SPEC_OPTIONS={
            "info": {"description": "Canonical deliveries, connectors, inbound webhooks. Authenticate with "
                     "'Authorization: Bearer <key>' (hub init prints the first admin key)."},
            "components": {"securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}},
            "security": [{"bearer": []}],
        },
        JSON_SORT_KEYS=False,
        MAX_CONTENT_LENGTH=runtime.config.max_upload_bytes,  # the ceiling; hub/api/body_limits.py sets each route's
        HUB_RUNTIME=runtime,
    )
    api = HubApi(app)

    for blueprint in (deliveries.blp, installations.blp, meta.blp, hooks.blp, subscriptions.blp,
                      fleet.blp, assignment.blp, carrier.blp,
                      driver.blp, custody.blp, media.blp, routes_api.blp,
                      recovery.blp, keys.blp, inbox.blp, tracking_page.blp, slots.blp, slots_checkout.blp,
                      analytics.blp, notify.blp, notify.hooks):
        api.register_blueprint(blueprint)
    app.register_blueprint(meta.health)
    app.register_blueprint(unsubscribe.pages)  # customer emails' one-click unsubscribe (hub/notify)
    app.register_blueprint(docs_assets)
    app.register_blueprint(customer_pages.blp)  # /t/<token>: the customer's tracking page
    app.register_blueprint(next_attempt.blp)  # /t/<token>/next: the recipient's choice after a failed attempt
    app.register_blueprint(picker.blp)  # /slots/picker.js: the slot picker for shop pages
    limits.init_app(app, runtime.config, runtime.redis_url)  # per address, counted in Redis
    console.init_app(app, runtime.config, runtime.redis_url)  # /console/: operators' pages, behind sign-in
    errors.register_error_handlers(app)
    body_limits.register_body_limits(app)
    register_nul_guard(app)
    return app
