"""Installations: a connector set up for one tenant, with its settings (secrets kept, never shown)."""

from __future__ import annotations

from typing import Any, Mapping

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.canonical.ids import sortable_id
from hub.db.models import Installation, Tenant
from hub.egress import TargetRefused, allows_private, check_target
from hub.plugins.capabilities import supports
from hub.plugins.overrides import validate_overrides, value_at
from hub.plugins.registry import Registry
from hub.plugins.settings import SettingsError, load_settings, public_settings, redact, url_fields
from hub.plugins.spec import ConnectorSpec
from hub.plugins.values import RegisteredHook


class InstallationError(ValueError):
    """Bad input for an installation; `details` maps a field path to its messages."""

    def __init__(self, message: str, details: Mapping[str, list[str]] | None = None) -> None:
        super().__init__(message)
        self.details = dict(details or {})


def inbound_url(public_url: str, installation_id: str) -> str:
    return f"{public_url}/hooks/{installation_id}"


def validated(spec: ConnectorSpec, settings: Mapping[str, Any], overrides: Mapping[str, Any]) -> dict[str, Any]:
    try:
        loaded = load_settings(spec, settings)
    except SettingsError as exc:
        raise InstallationError(str(exc), {f"settings.{k}": v for k, v in exc.errors.items()}) from None
    refused = _refused_urls(spec, loaded)
    if refused:
        raise InstallationError("the hub may not connect to some of these URLs", refused)
    problems = validate_overrides(overrides, tables=spec.tables)
    if problems:
        raise InstallationError(
            "some field or table overrides are not valid", {f"overrides.{p.path}": [p.message] for p in problems}
        )
    return dict(loaded)


def _refused_urls(spec: ConnectorSpec, loaded: Mapping[str, Any]) -> dict[str, list[str]]:
    """The URL settings the egress guard refuses, each with why: checked when saved so the owner hears it
    now, and again before every request (DNS can change in between)."""
    refused: dict[str, list[str]] = {}
    for path in sorted(url_fields(spec)):
        value = value_at(loaded, path)
        if not value:
            continue
        try:
            check_target(str(value), allow_private=allows_private())
        except TargetRefused as exc:
            refused[f"settings.{path}"] = [str(exc)]
    return refused


def create_installation(
    session: Session,
    registry: Registry,
    tenant: Tenant,
    connector_id: str,
    settings: Mapping[str, Any],
    *,
    overrides: Mapping[str, Any] | None = None,
    label: str = "",
) -> tuple[Installation, ConnectorSpec]:
    spec = registry.get(connector_id)
    loaded = validated(spec, settings, overrides or {})
    installation = Installation(
        id=sortable_id("ins_"), tenant_id=tenant.id, connector=spec.id, label=label or spec.label,
        settings=loaded, overrides=dict(overrides or {}), state={},
    )
    session.add(installation)
    session.flush()
    return installation, spec


def connector_for(registry: Registry, installation: Installation) -> object:
    spec = registry.get(installation.connector)
    return spec.create(load_settings(spec, {**installation.settings, **installation.state.get("settings", {})}))


def register_remote_webhooks(registry: Registry, installation: Installation, public_url: str) -> list[dict[str, Any]]:
    """Ask the other side (the store) to send its webhooks to this installation's inbound URL."""
    connector = connector_for(registry, installation)
    if not supports(connector, "register_webhooks"):
        return []
    hooks = connector.register_webhooks(inbound_url(public_url, installation.id))  # type: ignore[attr-defined]
    registered = [{"topic": h.topic, "address": h.address, "external_id": h.external_id} for h in hooks]
    installation.state = {**installation.state, "registered_webhooks": registered}
    return registered


def unregister_remote_webhooks(registry: Registry, installation: Installation) -> list[RegisteredHook]:
    """Ask the other side to stop sending webhooks: the connector gets what ``register_webhooks`` returned at
    install time, as stored, so it can delete exactly those subscriptions."""
    connector = connector_for(registry, installation)
    if not supports(connector, "unregister_webhooks"):
        return []
    registered = [RegisteredHook(**hook) for hook in installation.state.get("registered_webhooks", [])]
    connector.unregister_webhooks(registered)  # type: ignore[attr-defined]
    return registered


def describe(registry: Registry, installation: Installation, public_url: str) -> dict[str, Any]:
    """What the API and the CLI show: settings with every secret redacted."""
    try:
        settings = redact(registry.get(installation.connector), installation.settings)
    except Exception:  # connector no longer loads: show nothing rather than a secret
        settings = {}
    return {
        "id": installation.id,
        "connector": installation.connector,
        "label": installation.label,
        "status": installation.status,
        "paused_reason": installation.paused_reason,
        "settings": settings,
        "overrides": installation.overrides,
        "inbound_url": inbound_url(public_url, installation.id),
        "registered_webhooks": installation.state.get("registered_webhooks", []),
        "created_at": installation.created_at.isoformat() if installation.created_at else None,
    }


def mapping_settings(registry: Registry, installation: Installation) -> dict[str, Any]:
    return public_settings(registry.get(installation.connector), installation.settings)


def list_installations(session: Session, tenant_id: str) -> list[Installation]:
    return list(session.execute(
        select(Installation).where(Installation.tenant_id == tenant_id).order_by(Installation.created_at)
    ).scalars())
