"""Every API error is JSON: {"error": {"code", "message", "details"}}; details name the bad fields."""

from __future__ import annotations

from typing import Any

from flask import Flask, jsonify
from marshmallow import Schema, fields
from werkzeug.exceptions import HTTPException

from hub.canonical.statuses import InvalidTransition
from hub.canonical.validation import FieldError, marshmallow_field_errors


class ErrorDetailSchema(Schema):
    path = fields.String(metadata={"description": "JSON path of the field at fault, e.g. $.dropoff.address.city"})
    message = fields.String(metadata={"description": "What is wrong with it"})


class ErrorBodySchema(Schema):
    code = fields.String(required=True, metadata={"description": "Machine-readable, e.g. validation_failed"})
    message = fields.String(required=True, metadata={"description": "What went wrong, for a person"})
    details = fields.List(fields.Nested(ErrorDetailSchema), required=True)


class ErrorSchema(Schema):
    """Every error the hub answers: {"error": {"code", "message", "details"}}."""

    error = fields.Nested(ErrorBodySchema, required=True)


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str, details: list[dict[str, Any]] | None = None,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.details = status, code, message, details or []
        self.headers = headers or {}  # e.g. Retry-After on a 429


def field_errors(errors: list[FieldError]) -> list[dict[str, Any]]:
    return [e.as_dict() for e in errors]


def not_found(what: str, ident: str) -> ApiError:
    return ApiError(404, "not_found", f"no {what} with id {ident!r}")


def _body(code: str, message: str, details: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "details": details or []}}


def error_response(exc: ApiError):  # type: ignore[no-untyped-def]
    return jsonify(_body(exc.code, exc.message, exc.details)), exc.status, exc.headers


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
        # Keep what the exception says in headers (a 405's Allow, a 429's Retry-After), not its HTML type.
        headers = [(name, value) for name, value in exc.get_headers() if name.lower() != "content-type"]
        return jsonify(_body(code, exc.description or exc.name or "error", details)), exc.code or 500, headers
