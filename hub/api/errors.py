"""Every API error is JSON: {"error": {"code", "message", "details"}}; details name the bad fields."""

from __future__ import annotations

from typing import Any

from flask import Flask, jsonify
from werkzeug.exceptions import HTTPException

from hub.canonical.statuses import InvalidTransition
from hub.canonical.validation import FieldError, marshmallow_field_errors


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str, details: list[dict[str, Any]] | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.details = status, code, message, details or []


def field_errors(errors: list[FieldError]) -> list[dict[str, Any]]:
    return [e.as_dict() for e in errors]


def not_found(what: str, ident: str) -> ApiError:
    return ApiError(404, "not_found", f"no {what} with id {ident!r}")


def _body(code: str, message: str, details: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "details": details or []}}


def error_response(exc: ApiError):  # type: ignore[no-untyped-def]
    return jsonify(_body(exc.code, exc.message, exc.details)), exc.status


def register_error_handlers(app: Flask) -> None:
    app.register_error_handler(ApiError, error_response)

    @app.errorhandler(InvalidTransition)
    def _transition(exc: InvalidTransition):  # type: ignore[no-untyped-def]
        return jsonify(_body("invalid_transition", str(exc), [{"path": "$.status", "message": str(exc)}])), 409

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException):  # type: ignore[no-untyped-def]
        details: list[dict[str, Any]] = []
        messages = getattr(exc, "data", {}).get("messages") if hasattr(exc, "data") else None
        if messages:  # flask-smorest / webargs validation errors: flatten to JSON paths

            for location, errs in messages.items():
                details.extend(e.as_dict() for e in marshmallow_field_errors(errs))
        code = (exc.name or "error").lower().replace(" ", "_")
        return jsonify(_body(code, exc.description or exc.name or "error", details)), exc.code or 500
