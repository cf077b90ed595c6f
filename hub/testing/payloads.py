"""A connector's recorded inputs, as files: what the contract kit needs besides the spec.

One folder (``payloads`` on the contract class) holds them all::

    payloads/
        settings.json               # {"valid": {...}, "invalid": [{"settings": {...}, "error_on": "field"}, ...]}
        golden/                     # mapping cases (see hub.testing.golden): NAME.input.json, NAME.expected.json,
                                    #   optional NAME.headers.json and NAME.context.json
        requests/                   # webhooks as received, each one authentic:
            NAME.headers.json       #   its headers, with the signature or token
            NAME.body               #   its body, byte for byte (optional: no file, no body)
            NAME.settings.json      #   optional: the settings that sign it, when not settings.json's "valid"

``valid`` settings must load (use realistic values for every secret); each ``invalid`` entry must be refused,
naming the field in ``error_on`` when given. Record requests with the test secrets of ``settings.json``: a
signature is over the exact bytes of ``NAME.body``, and signature timestamps should be
``hub.testing.FIXED_NOW`` (2025-01-15T10:00:00Z, epoch 1736935200), the time the kit says they arrived.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hub.plugins.values import InboundRequest
from hub.testing.inbound import make_request

__all__ = ["PayloadError", "Payloads", "RecordedRequest", "load_payloads"]

SETTINGS_FILE = "settings.json"
GOLDEN_DIR = "golden"
REQUESTS_DIR = "requests"


class PayloadError(ValueError):
    """The payloads folder is missing something or a file in it is malformed; the message names the file."""


@dataclass(frozen=True)
class RecordedRequest:
    """One authentic webhook: its name (the test id), the request, and the settings that verify it."""

    name: str
    request: InboundRequest
    settings: dict[str, Any]


@dataclass(frozen=True)
class Payloads:
    folder: Path
    valid_settings: dict[str, Any]
    invalid_settings: list[tuple[dict[str, Any], str | None]] = field(default_factory=list)
    requests: list[RecordedRequest] = field(default_factory=list)

    @property
    def golden_dir(self) -> Path:
        return self.folder / GOLDEN_DIR


def _json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise PayloadError(f"{path} is missing") from None
    except ValueError as exc:
        raise PayloadError(f"{path} is not valid JSON: {exc}") from None


def _settings(path: Path) -> tuple[dict[str, Any], list[tuple[dict[str, Any], str | None]]]:
    doc = _json(path)
    if not isinstance(doc, dict) or not isinstance(doc.get("valid"), dict):
        raise PayloadError(f'{path}: needs {{"valid": {{...settings...}}, "invalid": [...]}}')
    invalid = []
    for index, entry in enumerate(doc.get("invalid", [])):
        if not isinstance(entry, dict) or not isinstance(entry.get("settings"), dict):
            raise PayloadError(f'{path}: invalid[{index}] must be {{"settings": {{...}}, "error_on": "field"}}')
        invalid.append((entry["settings"], entry.get("error_on")))
    return doc["valid"], invalid


def _requests(folder: Path, valid: dict[str, Any]) -> list[RecordedRequest]:
    found = []
    for headers_path in sorted(folder.glob("*.headers.json")):
        name = headers_path.name[: -len(".headers.json")]
        headers = _json(headers_path)
        if not isinstance(headers, dict):
            raise PayloadError(f"{headers_path}: headers must be a JSON object of name to value")
        body_path = folder / f"{name}.body"
        body = body_path.read_bytes() if body_path.exists() else b""
        settings_path = folder / f"{name}.settings.json"
        settings = _json(settings_path) if settings_path.exists() else valid
        found.append(RecordedRequest(name, make_request(body, {str(k): str(v) for k, v in headers.items()}), settings))
    return found


def load_payloads(folder: str | Path) -> Payloads:
    """Read a payloads folder; raises :class:`PayloadError` naming what is missing or malformed."""
    root = Path(folder)
    if not root.is_dir():
        raise PayloadError(f"payloads folder {root} does not exist")
    valid, invalid = _settings(root / SETTINGS_FILE)
    return Payloads(folder=root, valid_settings=valid, invalid_settings=invalid,
                    requests=_requests(root / REQUESTS_DIR, valid))
