"""The notifier plugin contract: an SMS provider as a package, found through the entry-point group
``delivery_hub.notifiers`` exactly as connectors are found through ``delivery_hub.connectors``::

    [project.entry-points."delivery_hub.notifiers"]
    acme_sms = "acme_sms:NOTIFIER"

``NOTIFIER`` is a :class:`NotifierSpec`: who the provider is, a marshmallow schema for a tenant's settings
(secret fields marked ``metadata={"secret": True}``: the hub stores them encrypted and never shows them), and
a ``factory`` that builds the provider object from validated settings. That object implements
:class:`SmsProvider`: send one message, verify a request the provider sent to the hub, and read a delivery
receipt or an incoming message from it. Everything crossing the boundary is a frozen dataclass below; a
provider imports ``hub.plugins`` and nothing else of the hub (its HTTP goes through ``hub.plugins.http_session``).

Errors: raise ``TransientError`` for what a retry may fix (the provider is down, 429, 5xx), ``PermanentError``
for what it cannot (an invalid number), ``ConfigurationError`` for wrong credentials; the hub retries sends
with its "external" policy and records the rest on the message.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal, Protocol, get_args, runtime_checkable

import marshmallow

from hub.plugins.registry import Registry
from hub.plugins.spec import ID_PATTERN, SpecError
from hub.plugins.values import InboundRequest, Verification

NOTIFIER_GROUP = "delivery_hub.notifiers"

Channel = Literal["sms"]
CHANNELS: frozenset[str] = frozenset(get_args(Channel))
# Where a message stands, in the hub's words; a provider maps its own (Twilio's "sent", "delivered", ...).
ReceiptStatus = Literal["queued", "sent", "delivered", "undelivered", "failed"]
RECEIPT_STATUSES: frozenset[str] = frozenset(get_args(ReceiptStatus))


@dataclass(frozen=True)
class SmsMessage:
    """One text to send. ``status_callback`` is the hub's URL for this provider's delivery receipts (give it
    to the provider with the message); ``reference`` is the hub's id of the message."""

    to: str  # E.164
    body: str
    reference: str
    status_callback: str | None = None


@dataclass(frozen=True)
class SmsSent:
    """The provider took the message: its id (receipts name it) and its first status."""

    provider_message_id: str
    status: ReceiptStatus = "queued"
    provider_status: str = ""


@dataclass(frozen=True)
class DeliveryReceipt:
    """A provider's report on a message it took (a status callback)."""

    provider_message_id: str
    status: ReceiptStatus
    provider_status: str
    error_code: str | None = None
    details: Mapping[str, str] = field(default_factory=dict)
    occurred_at: datetime | None = None

    def __post_init__(self) -> None:
        if self.status not in RECEIPT_STATUSES:
            raise SpecError(f"DeliveryReceipt.status {self.status!r} is not one of {sorted(RECEIPT_STATUSES)}")


@dataclass(frozen=True)
class IncomingSms:
    """A text a customer sent to the tenant's number (a reply such as STOP)."""

    sender: str  # E.164
    recipient: str
    body: str
    provider_message_id: str = ""


@runtime_checkable
class SmsProvider(Protocol):
    def send_sms(self, message: SmsMessage) -> SmsSent:
        """Hand the message to the provider; raise TransientError / PermanentError / ConfigurationError."""
        ...

    def verify(self, request: InboundRequest, url: str) -> Verification:
        """Whether a request to the hub (receipt or incoming message) really comes from the provider.
        ``url`` is the full URL the provider was given for it (the hub's public URL, path and query)."""
        ...

    def receipt(self, request: InboundRequest) -> DeliveryReceipt | None:
        """The delivery receipt a verified status callback carries, or None when it carries none."""
        ...

    def incoming(self, request: InboundRequest) -> IncomingSms | None:
        """The message a verified inbound webhook carries, or None."""
        ...


@dataclass(frozen=True)
class IncomingAnswer:
    """What the hub answers the provider's inbound webhook with, when the provider wants a document of its own."""

    body: str
    content_type: str


@runtime_checkable
class AnswersIncoming(Protocol):
    """Optional: a provider that expects its own reply document to an incoming message (Twilio: TwiML). Without it
    the hub answers JSON."""

    def incoming_answer(self, outcome: str) -> IncomingAnswer:
        """The answer to a verified incoming message; ``outcome`` is what the hub did: opted_out, opted_in, ignored."""
        ...


@dataclass(frozen=True)
class NotifierSpec:
    """Who a notifier is and how to build it. Export one as ``NOTIFIER`` from your package."""

    id: str
    label: str
    channel: Channel
    version: str
    settings_schema: type[marshmallow.Schema]
    factory: Callable[[Mapping[str, Any]], SmsProvider]
    description: str = ""

    def __post_init__(self) -> None:
        if not isinstance(self.id, str) or not ID_PATTERN.match(self.id):
            raise SpecError(f"notifier id {self.id!r} must be one lowercase word matching {ID_PATTERN.pattern}")
        if not isinstance(self.label, str) or not self.label.strip():
            raise SpecError(f"notifier {self.id!r}: label must be a non-empty string")
        if self.channel not in CHANNELS:
            raise SpecError(f"notifier {self.id!r}: channel {self.channel!r} is not one of {sorted(CHANNELS)}")
        if not (isinstance(self.settings_schema, type) and issubclass(self.settings_schema, marshmallow.Schema)):
            raise SpecError(f"notifier {self.id!r}: settings_schema must be a marshmallow.Schema subclass")
        if not callable(self.factory):
            raise SpecError(f"notifier {self.id!r}: factory must be callable")

    def create(self, settings: Mapping[str, Any]) -> SmsProvider:
        """Build the provider from *validated* settings (hub.plugins.settings.load_settings)."""
        provider = self.factory(settings)
        if not isinstance(provider, SmsProvider):
            raise SpecError(f"notifier {self.id!r}: its factory built a {type(provider).__name__}, which does not "
                            "implement send_sms, verify, receipt and incoming")
        return provider


def notifier_registry(entry_points: Callable[[], Any] | None = None) -> Registry:
    """A registry over ``delivery_hub.notifiers`` (the installed entry points unless others are given)."""
    if entry_points is None:
        return Registry(group=NOTIFIER_GROUP, spec_type=NotifierSpec, noun="notifier")
    return Registry(group=NOTIFIER_GROUP, spec_type=NotifierSpec, noun="notifier", entry_points=entry_points)


@functools.lru_cache(maxsize=1)
def default_notifiers() -> Registry:
    """The process-wide notifier registry (``default_notifiers.cache_clear()`` after installing one)."""
    return notifier_registry().discover()
