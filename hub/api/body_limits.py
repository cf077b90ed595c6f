"""How large a request body may be: refused before it is read, with the limit in the answer.

Every route takes at most the config's `max_body_bytes`; a route marked `@large_body` (proof-of-delivery
uploads) takes `max_upload_bytes`. A declared Content-Length over the limit is refused before a byte is read;
a chunked body without one is read through Werkzeug's capped stream, which stops just past the limit.
"""

from __future__ import annotations

from typing import Callable, TypeVar

from flask import Flask, current_app, request
from werkzeug.exceptions import RequestEntityTooLarge

from hub.api.errors import ApiError, error_response
from hub.runtime import get_runtime

View = TypeVar("View", bound=Callable[..., object])

LARGE_BODY = "hub_large_body"


def large_body(view: View) -> View:
    """Mark a view as taking uploads; put it nearest the function so the route's wrappers copy the mark."""
    setattr(view, LARGE_BODY, True)
    return view


def body_limit() -> int:
    config = get_runtime().config
    view = current_app.view_functions.get(request.endpoint or "")
    return config.max_upload_bytes if getattr(view, LARGE_BODY, False) else config.max_body_bytes


def too_large(limit: int) -> ApiError:
    size = f"{limit / (1024 * 1024):g} MB" if limit >= 1024 * 1024 else f"{limit} bytes"
    return ApiError(413, "body_too_large", f"the request body is larger than this endpoint's limit of {size} "
                    f"({limit} bytes)", [{"path": "$", "message": f"at most {limit} bytes"}])


def register_body_limits(app: Flask) -> None:
    @app.before_request
    def _refuse_oversized() -> None:
        limit = body_limit()
        if request.content_length is not None:
            if request.content_length > limit:
                raise too_large(limit)
            return
        if "wsgi.input_terminated" in request.environ:  # chunked: the server ends the stream, we cap it
            # Werkzeug's capped stream stops at its cap without saying so; one byte over the limit tells
            # an oversized body from one that fits exactly. The body read here is cached for the view.
            request.max_content_length = limit + 1
            if len(request.get_data(cache=True)) > limit:
                raise too_large(limit)

    @app.errorhandler(RequestEntityTooLarge)
    def _streamed_over(exc: RequestEntityTooLarge):  # type: ignore[no-untyped-def]
        return error_response(too_large(body_limit()))
