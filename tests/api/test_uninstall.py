"""Deleting an installation: the connector's ``unregister_webhooks`` gets the registrations the hub stored at
install time; a refusal keeps the installation (502) unless the operator forces the delete."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from marshmallow import Schema, fields

from hub.db.models import Installation
from hub.plugins import (
    RECEIVE_WEBHOOK,
    REGISTER_WEBHOOKS,
    UNREGISTER_WEBHOOKS,
    ConnectorSpec,
    InboundEvent,
    InboundRequest,
    RegisteredHook,
    Verification,
)
from hub.runtime import Runtime

UNREGISTERED: list[list[RegisteredHook]] = []  # what each unregister_webhooks call received


class HookSettings(Schema):
    refuse = fields.Boolean(load_default=False)


class HookStore:
    def __init__(self, settings: Mapping[str, Any]) -> None:
        self.refuse = settings["refuse"]

    def verify(self, request: InboundRequest) -> Verification:
        return Verification(ok=False, reason="not used here")

    def parse(self, request: InboundRequest) -> list[InboundEvent]:
        return []

    def register_webhooks(self, target_url: str) -> list[RegisteredHook]:
        return [RegisteredHook("order/created", target_url, "hook-41"), RegisteredHook("order/updated", target_url, "hook-42")]

    def unregister_webhooks(self, registered: list[RegisteredHook]) -> None:
        if self.refuse:
            raise ConnectionError("the store is down")
        UNREGISTERED.append(registered)


SPEC = ConnectorSpec(id="hookstore", label="Hook store", kind="source", version="0", settings_schema=HookSettings,
                     capabilities=frozenset({RECEIVE_WEBHOOK, REGISTER_WEBHOOKS, UNREGISTER_WEBHOOKS}), factory=HookStore)


def install(client: Any, tenant: dict[str, Any], **settings: Any) -> str:
    response = client.post("/api/v1/installations", headers=tenant["headers"],
                           json={"connector": "hookstore", "settings": settings})
    assert response.status_code == 201, response.json
    return response.json["id"]


def exists(runtime: Runtime, installation_id: str) -> bool:
    with runtime.sessions() as session:
        return session.get(Installation, installation_id) is not None


def test_delete_hands_the_stored_registrations_to_unregister(clean: Runtime, client: Any, tenant: dict[str, Any]) -> None:
    clean.registry.register(SPEC)
    UNREGISTERED.clear()
    installation = install(client, tenant)
    assert client.delete(f"/api/v1/installations/{installation}", headers=tenant["headers"]).status_code == 204
    target = f"http://hub.test/hooks/{installation}"
    assert UNREGISTERED == [[RegisteredHook("order/created", target, "hook-41"),
                             RegisteredHook("order/updated", target, "hook-42")]]
    assert not exists(clean, installation)


def test_a_refused_unregister_keeps_the_installation_unless_forced(clean: Runtime, client: Any, tenant: dict[str, Any]) -> None:
    clean.registry.register(SPEC)
    installation = install(client, tenant, refuse=True)
    refused = client.delete(f"/api/v1/installations/{installation}", headers=tenant["headers"])
    # What kind of failure, in the hub's words: the other side's own words are not repeated (docs/security.md)
    assert refused.status_code == 502 and "could not connect" in refused.json["error"]["message"]
    assert "store is down" not in refused.json["error"]["message"]
    assert exists(clean, installation)
    forced = client.delete(f"/api/v1/installations/{installation}?force=true", headers=tenant["headers"])
    assert forced.status_code == 204 and not exists(clean, installation)
