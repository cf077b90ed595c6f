"""The plugin API: everything a connector package imports from the hub, and nothing it does not need.

A connector imports from here and nowhere else in ``hub`` (``hub.testing`` in its tests)::

    from hub.plugins import ConnectorSpec, InboundRequest, MappedDelivery, MappingContext, ...

See ``docs/connectors/writing-a-connector.md`` and ``examples/hub-connector-example``. What the hub itself uses
to run connectors (the registry, owners' overrides, redaction) lives in this package's modules
(``hub.plugins.registry``, ``.overrides``, ``.settings``) and is not exported here.
"""

from hub.canonical.encoding import drop_none
from hub.canonical.phone import normalize_phone
from hub.canonical.vocabulary import SERVICE_LEVELS, STATUSES, TEMPERATURES
from hub.errors import ConfigurationError, PermanentError, TransientError, retry_after_s
from hub.plugins.address import ADDRESS_WORDS, AddressLine, split_address_line, take_floor, take_unit
from hub.plugins.capabilities import (
    CANCEL_JOB,
    CAPABILITIES,
    DISPATCH_JOB,
    FETCH_ORDER,
    MAP_DELIVERY,
    PROTOCOLS,
    PULL_ORDERS,
    PUSH_FULFILLMENT,
    PUSH_NOTE,
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
    PushNote,
    PushPickBy,
    QuoteJob,
    ReceiveWebhook,
    RegisterWebhooks,
    UnregisterWebhooks,
    require,
    supports,
)
from hub.plugins.http import answer_summary, check_url, http_session
from hub.plugins.notifiers import (
    NOTIFIER_GROUP,
    RECEIPT_STATUSES,
    AnswersIncoming,
    DeliveryReceipt,
    IncomingAnswer,
    IncomingSms,
    NotifierSpec,
    SmsMessage,
    SmsProvider,
    SmsSent,
)
from hub.plugins.registry import ENTRY_POINT_GROUP
from hub.plugins.service_levels import SERVICE_LEVEL_WORDS, is_pickup, service_level_of
from hub.plugins.settings import (
    REDACTED,
    STANDARD_WEBHOOKS_SECRET,
    Pattern,
    WebUrl,
    Settings,
    SettingsError,
    load_settings,
    secret_fields,
    settings_json_schema,
)
from hub.plugins.spec import (
    KINDS,
    ConnectorKind,
    ConnectorSpec,
    PluginError,
    SpecError,
    WebhookAuth,
)
from hub.plugins.tables import MAPPINGS_DIR, Table, TableError, load_table
from hub.plugins.units import WEIGHT_UNITS, to_grams
from hub.plugins.values import (
    EVENT_KINDS,
    DispatchResult,
    EventKind,
    Headers,
    InboundEvent,
    InboundRequest,
    MappedDelivery,
    MappingContext,
    MappingWarning,
    PullBatch,
    Quote,
    RegisteredHook,
    Verification,
    WriteBackResult,
)

# What each name is for, in one line (the list in docs/connectors/writing-a-connector.md follows it):
#   SERVICE_LEVELS / STATUSES / TEMPERATURES  the canonical vocabularies (service level, delivery status,
#                                             parcel temperature), read from schemas/delivery.v1.json
#   TransientError        raise for a failure worth retrying (the hub retries with backoff)
#   PermanentError        raise for a failure no retry can fix (dead-lettered, recorded)
#   ConfigurationError    raise when the installation's settings are wrong (the hub pauses it, tells the owner)
#   retry_after_s         seconds a Retry-After header asks for, or None
#   drop_none             a dict without its None values, recursively (absent stays absent)
#   normalize_phone       a phone number to E.164 plus data-quality flags
#   load_table / Table / TableError / MAPPINGS_DIR   value tables as data (mappings/table.schema.json)
#   ADDRESS_WORDS / split_address_line / take_unit / take_floor / AddressLine   unit and floor out of an
#                                             address line, by the common words
#   SERVICE_LEVEL_WORDS / service_level_of / is_pickup   a shipping method's service level: the source's
#                                             codes, then the common words; whether it means local pickup
#   WEIGHT_UNITS / to_grams                   a weight in a source's unit to whole grams
#   NotifierSpec / SmsProvider / SmsMessage / SmsSent / DeliveryReceipt / IncomingSms / NOTIFIER_GROUP /
#   RECEIPT_STATUSES / AnswersIncoming /     an SMS provider as a plugin (entry-point group delivery_hub.notifiers);
#   IncomingAnswer                            AnswersIncoming: its own reply document to an incoming message
#   http_session / check_url / answer_summary                  HTTP through the hub's egress guard (public addresses only,
#                                             pinned, redirects checked, a deadline, a size cap)

__all__ = [
    # vocabularies, errors, tables and helpers (see the comment above)
    "ADDRESS_WORDS", "MAPPINGS_DIR", "answer_summary", "SERVICE_LEVELS", "SERVICE_LEVEL_WORDS", "STATUSES", "TEMPERATURES",
    "WEIGHT_UNITS", "AddressLine", "ConfigurationError", "PermanentError", "Table", "TableError",
    "TransientError", "check_url", "drop_none", "http_session", "is_pickup", "load_table", "normalize_phone", "retry_after_s",
    "service_level_of", "split_address_line", "take_floor", "take_unit", "to_grams",
    # spec, capabilities, value types, settings
    "CANCEL_JOB", "CAPABILITIES", "DISPATCH_JOB", "ENTRY_POINT_GROUP", "EVENT_KINDS", "FETCH_ORDER", "KINDS",
    "MAP_DELIVERY", "PROTOCOLS", "PULL_ORDERS", "PUSH_FULFILLMENT", "PUSH_NOTE", "PUSH_PICK_BY", "QUOTE",
    "RECEIVE_WEBHOOK", "REDACTED", "STANDARD_WEBHOOKS_SECRET", "REGISTER_WEBHOOKS", "UNREGISTER_WEBHOOKS",
    "CancelJob", "CapabilityMissing", "ConnectorKind", "ConnectorSpec", "DispatchJob", "DispatchResult",
    "EventKind", "FetchOrder", "Headers", "InboundEvent", "InboundRequest", "MapDelivery",
    "MappedDelivery", "MappingContext", "MappingWarning", "PluginError", "PullBatch",
    "Pattern", "PullOrders", "PushFulfillment", "PushNote", "PushPickBy", "Quote", "QuoteJob", "ReceiveWebhook",
    "RegisterWebhooks", "RegisteredHook", "Settings", "SettingsError", "SpecError", "UnregisterWebhooks",
    "Verification", "WebUrl", "WebhookAuth", "WriteBackResult", "load_settings", "require", "secret_fields",
    "settings_json_schema", "supports",
    # notifiers: SMS providers as plugins (hub/plugins/notifiers.py)
    "NOTIFIER_GROUP", "RECEIPT_STATUSES", "AnswersIncoming", "DeliveryReceipt", "IncomingAnswer", "IncomingSms",
    "NotifierSpec", "SmsMessage", "SmsProvider", "SmsSent",
]
