"""SMS through the tenant's notifier plugin (entry-point group delivery_hub.notifiers): build it from the stored
settings, send, and the URLs it reports back to (delivery receipts, incoming messages)."""

from __future__ import annotations

from typing import Any

from hub.errors import ConfigurationError
from hub.plugins.notifiers import SmsProvider, default_notifiers
from hub.plugins.registry import UnknownConnector
from hub.plugins.settings import SettingsError, load_settings

HOOKS_PREFIX = "/hooks/notify"


def status_path(tenant_id: str, provider: str) -> str:
    return f"{HOOKS_PREFIX}/{tenant_id}/{provider}/status"


def inbound_path(tenant_id: str, provider: str) -> str:
    return f"{HOOKS_PREFIX}/{tenant_id}/{provider}/inbound"


def provider_for(settings: dict[str, Any]) -> tuple[str, SmsProvider]:
    """The tenant's SMS provider, built from its settings (secrets included); ConfigurationError if it cannot be."""
    block = settings.get("sms") or {}
    name = block.get("provider") or ""
    try:
        spec = default_notifiers().get(name)
        return name, spec.create(load_settings(spec, block.get("settings") or {}))  # type: ignore[arg-type]
    except (UnknownConnector, SettingsError) as exc:
        raise ConfigurationError(f"the SMS provider cannot be used: {exc}") from None
