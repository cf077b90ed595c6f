"""When a contract test applies to a connector: the rules the kit's tests name in ``@applies_to``
(hub/testing/selection.py), each judged on the contract class and, for a parameter, one of its inputs."""

from __future__ import annotations

from importlib import metadata
from typing import Any

from hub.plugins.registry import ENTRY_POINT_GROUP
from hub.testing.golden import GoldenCase


def has_body(contract: Any, index: int) -> bool:
    return bool(contract.signed_requests[index][0].body)


def has_secret_to_change(contract: Any, index: int) -> bool:
    return bool(contract.secrets_to_change(index))


def has_headers(contract: Any, case: GoldenCase) -> bool:
    return case.headers_path is not None


def signs_body(contract: Any) -> bool:
    return contract.auth.scheme == "signature"


def sends_token(contract: Any) -> bool:
    return contract.auth.scheme == "header_token"


def entry_points_of(connector_id: str) -> list[metadata.EntryPoint]:
    """The installed entry points that name this connector (normally one)."""
    return [ep for ep in metadata.entry_points(group=ENTRY_POINT_GROUP) if ep.name == connector_id]


def entry_point_installed(contract: Any) -> bool:
    return bool(entry_points_of(contract.spec.id))
