"""The plugin API: everything a connector package imports from the hub.

A connector imports from here and nowhere else in ``hub`` (``hub.testing`` in its tests)::

    from hub.plugins import ConnectorSpec, InboundRequest, MappedDelivery, MappingContext, ...

See ``docs/connectors/writing-a-connector.md`` and ``examples/hub-connector-example``.
"""

from hub.plugins.capabilities import (
    CANCEL_JOB,
    CAPABILITIES,
    DISPATCH_JOB,
    FETCH_ORDER,
    MAP_DELIVERY,
    PROTOCOLS,
    PULL_ORDERS,
    PUSH_FULFILLMENT,
    PUSH_PICK_BY,
    QUOTE,
    RECEIVE_WEBHOOK,
    REGISTER_WEBHOOKS,
    UNREGISTER_WEBHOOKS,
    CancelJob,
    CapabilityMissing,
    DispatchJob,
    FetchOrder,
    MapDelivery,
    PullOrders,
    PushFulfillment,
    PushPickBy,
    QuoteJob,
    ReceiveWebhook,
    RegisterWebhooks,
    UnregisterWebhooks,
    require,
    spec_of,
    supports,
    why_unsupported,
)
from hub.plugins.overrides import OverrideError, apply_overrides, validate_overrides
from hub.plugins.registry import ENTRY_POINT_GROUP, LoadFailure, Registry, UnknownConnector, default_registry
from hub.plugins.settings import (
    REDACTED,
    Settings,
    SettingsError,
    load_settings,
    public_settings,
    redact,
    secret_fields,
    settings_json_schema,
)
from hub.plugins.spec import (
    EVENT_KINDS,
    KINDS,
    ConnectorKind,
    ConnectorSpec,
    DispatchResult,
    EventKind,
    Headers,
    InboundEvent,
    InboundRequest,
    MappedDelivery,
    MappingContext,
    MappingWarning,
    PluginError,
    PullBatch,
    Quote,
    RegisteredHook,
    SpecError,
    Verification,
    WebhookAuth,
    WriteBackResult,
)

__all__ = [
    "CANCEL_JOB", "CAPABILITIES", "DISPATCH_JOB", "ENTRY_POINT_GROUP", "EVENT_KINDS", "FETCH_ORDER", "KINDS",
    "MAP_DELIVERY", "PROTOCOLS", "PULL_ORDERS", "PUSH_FULFILLMENT", "PUSH_PICK_BY", "QUOTE",
    "RECEIVE_WEBHOOK", "REDACTED", "REGISTER_WEBHOOKS", "UNREGISTER_WEBHOOKS",
    "CancelJob", "CapabilityMissing", "ConnectorKind", "ConnectorSpec", "DispatchJob", "DispatchResult",
    "EventKind", "FetchOrder", "Headers", "InboundEvent", "InboundRequest", "LoadFailure", "MapDelivery",
    "MappedDelivery", "MappingContext", "MappingWarning", "OverrideError", "PluginError", "PullBatch",
    "PullOrders", "PushFulfillment", "PushPickBy", "Quote", "QuoteJob", "ReceiveWebhook",
    "RegisterWebhooks", "RegisteredHook", "Registry", "Settings", "SettingsError", "SpecError",
    "UnknownConnector", "UnregisterWebhooks", "Verification", "WebhookAuth", "WriteBackResult",
    "apply_overrides", "default_registry", "load_settings", "public_settings", "redact", "require",
    "secret_fields", "settings_json_schema", "spec_of", "supports", "validate_overrides", "why_unsupported",
]
