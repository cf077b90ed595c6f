"""Capabilities: what a connector can do, one small protocol each.

A connector declares capability names in its spec (``capabilities=frozenset({RECEIVE_WEBHOOK,
MAP_DELIVERY})``) and its object implements the matching protocol below: plain methods, no base class
to inherit. The hub never calls a method without asking first::

    if supports(connector, PULL_ORDERS):
        batch = require(connector, PULL_ORDERS).pull(bookmark, limit=100)

``supports`` is true only when the spec declares the capability *and* the object implements it.
``require`` returns the object or raises :class:`CapabilityMissing`.

Pure versus I/O: ``verify``, ``parse`` and ``to_delivery`` are pure translation (no HTTP, no clock,
no Redis). The others talk to the outside system through the connector's own client.
"""

from __future__ import annotations

import weakref
from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal, Protocol, overload, runtime_checkable

if TYPE_CHECKING:
    from hub.plugins.spec import ConnectorSpec
    from hub.plugins.values import (
        DispatchResult,
        InboundEvent,
        InboundRequest,
        MappedDelivery,
        MappingContext,
        PullBatch,
        Quote,
        RegisteredHook,
        Verification,
        WriteBackResult,
    )

__all__ = [
    "CANCEL_JOB", "CAPABILITIES", "CapabilityMissing", "CancelJob", "DISPATCH_JOB", "DispatchJob",
    "FETCH_ORDER", "FetchOrder", "MAP_DELIVERY", "MapDelivery", "PROTOCOLS", "PULL_ORDERS", "PUSH_FULFILLMENT",
    "PUSH_NOTE", "PUSH_PICK_BY",
    "PullOrders", "PushFulfillment", "PushNote", "PushPickBy", "QUOTE", "QuoteJob", "RECEIVE_WEBHOOK",
    "REGISTER_WEBHOOKS", "ReceiveWebhook", "RegisterWebhooks", "UNREGISTER_WEBHOOKS",
    "UnregisterWebhooks", "attach_spec", "require", "spec_of", "supports", "why_unsupported",
]

RECEIVE_WEBHOOK = "receive_webhook"
MAP_DELIVERY = "map_delivery"
REGISTER_WEBHOOKS = "register_webhooks"
UNREGISTER_WEBHOOKS = "unregister_webhooks"
FETCH_ORDER = "fetch_order"
PULL_ORDERS = "pull_orders"
PUSH_FULFILLMENT = "push_fulfillment"
PUSH_NOTE = "push_note"
DISPATCH_JOB = "dispatch_job"
QUOTE = "quote"
CANCEL_JOB = "cancel_job"
PUSH_PICK_BY = "push_pick_by"


@runtime_checkable
class ReceiveWebhook(Protocol):
    """``receive_webhook``: check an inbound request is authentic, then say what it means.

    ``verify`` never raises on bad input: it returns ``Verification(ok=False, reason=...)``.
    ``parse`` is only called on verified requests; it returns one event or more (kind ``ignored``
    for topics the connector does not handle)."""

    def verify(self, request: InboundRequest) -> Verification: ...

    def parse(self, request: InboundRequest) -> list[InboundEvent]: ...


@runtime_checkable
class MapDelivery(Protocol):
    """``map_delivery``: raw order → canonical delivery. Pure: no HTTP, no clock (``ctx.now``), no
    Redis; same input, same output. Problems become ``MappingWarning``s, not exceptions."""

    def to_delivery(self, raw: Mapping[str, Any], ctx: MappingContext) -> MappedDelivery: ...


@runtime_checkable
class RegisterWebhooks(Protocol):
    """``register_webhooks``: on install, subscribe the other side's webhooks to ``target_url``
    (idempotent: an existing subscription to the same URL is returned, not duplicated)."""

    def register_webhooks(self, target_url: str) -> list[RegisteredHook]: ...


@runtime_checkable
class UnregisterWebhooks(Protocol):
    """``unregister_webhooks``: on uninstall, remove what ``register_webhooks`` created. ``registered`` is
    what it returned at install time, as the hub stored it (empty when nothing was registered)."""

    def unregister_webhooks(self, registered: list[RegisteredHook]) -> None: ...


@runtime_checkable
class FetchOrder(Protocol):
    """``fetch_order``: read one order from the other side by its id, for webhooks that carry only the id
    (``parse`` returns an ``order.fetch`` event). Returns the raw order exactly as ``to_delivery`` takes it,
    or None when the other side no longer has it. The hub calls it in a job of its own, outside any database
    transaction, and retries it like ingest."""

    def fetch_order(self, external_id: str) -> Mapping[str, Any] | None: ...


@runtime_checkable
class PullOrders(Protocol):
    """``pull_orders``: fetch orders page by page from an opaque ``bookmark`` (None = start)."""

    def pull(self, bookmark: str | None, *, limit: int) -> PullBatch: ...


@runtime_checkable
class PushFulfillment(Protocol):
    """``push_fulfillment``: write a delivery's status (fulfilment, tracking) back to the source."""

    def push_status(self, delivery: Mapping[str, Any], event: Mapping[str, Any]) -> WriteBackResult: ...


@runtime_checkable
class PushNote(Protocol):
    """``push_note``: add a note for the store's staff to the delivery's order (not shown to the customer), such
    as what the recipient chose for the next attempt. The hub writes the text; the connector only delivers it."""

    def push_note(self, delivery: Mapping[str, Any], note: str) -> WriteBackResult: ...


@runtime_checkable
class DispatchJob(Protocol):
    """``dispatch_job``: hand a normalized carrier job to a carrier or crowd network."""

    def dispatch(self, job: Mapping[str, Any]) -> DispatchResult: ...


@runtime_checkable
class QuoteJob(Protocol):
    """``quote``: price a normalized carrier job without booking it."""

    def quote(self, job: Mapping[str, Any]) -> Quote: ...


@runtime_checkable
class CancelJob(Protocol):
    """``cancel_job``: cancel a dispatched job by the carrier's reference."""

    def cancel(self, external_ref: str, reason: str) -> None: ...


@runtime_checkable
class PushPickBy(Protocol):
    """``push_pick_by`` (warehouse): tell the warehouse when a delivery must be picked by."""

    def send_pick_by(self, delivery: Mapping[str, Any], pick_by: datetime) -> None: ...


#: Capability name → the protocol its object must implement.
PROTOCOLS: Mapping[str, type] = {
    RECEIVE_WEBHOOK: ReceiveWebhook,
    MAP_DELIVERY: MapDelivery,
    REGISTER_WEBHOOKS: RegisterWebhooks,
    UNREGISTER_WEBHOOKS: UnregisterWebhooks,
    FETCH_ORDER: FetchOrder,
    PULL_ORDERS: PullOrders,
    PUSH_FULFILLMENT: PushFulfillment,
    PUSH_NOTE: PushNote,
    DISPATCH_JOB: DispatchJob,
    QUOTE: QuoteJob,
    CANCEL_JOB: CancelJob,
    PUSH_PICK_BY: PushPickBy,
}
CAPABILITIES: frozenset[str] = frozenset(PROTOCOLS)


class CapabilityMissing(Exception):
    """The hub asked a connector for something it does not declare or does not implement."""

    def __init__(self, connector_id: str, capability: str, why: str) -> None:
        super().__init__(f"connector {connector_id!r} cannot {capability!r}: {why}")
        self.connector_id = connector_id
        self.capability = capability
        self.why = why


# Which spec built which connector object. Set by ConnectorSpec.create; weak so connectors that are
# dropped are not kept alive by this table.
_SPEC_ATTR = "__connector_spec__"
_SPECS: weakref.WeakKeyDictionary[object, ConnectorSpec] = weakref.WeakKeyDictionary()


def attach_spec(connector: object, spec: ConnectorSpec) -> None:
    """Remember that ``spec`` built ``connector`` (``ConnectorSpec.create`` does this for you)."""
    try:
        object.__setattr__(connector, _SPEC_ATTR, spec)
    except (AttributeError, TypeError):
        try:
            _SPECS[connector] = spec
        except TypeError as exc:  # __slots__ without __weakref__: nowhere to keep the link
            raise TypeError(
                f"connector object of type {type(connector).__name__} accepts neither attributes nor "
                "weak references; add '__weakref__' to its __slots__"
            ) from exc


def spec_of(connector: object) -> ConnectorSpec | None:
    """The spec that built ``connector``, or None when it was not built by ``ConnectorSpec.create``."""
    spec = getattr(connector, _SPEC_ATTR, None)
    if spec is not None:
        return spec  # type: ignore[no-any-return]
    try:
        return _SPECS.get(connector)
    except TypeError:
        return None


def why_unsupported(connector: object, capability: str, *, spec: ConnectorSpec | None = None) -> str | None:
    """Why ``supports`` is false (None when it is true): for error messages and the test kit."""
    if capability not in PROTOCOLS:
        return f"unknown capability; known: {sorted(CAPABILITIES)}"
    spec = spec if spec is not None else spec_of(connector)
    if spec is None:
        return "connector object was not built by ConnectorSpec.create and no spec was given"
    if capability not in spec.capabilities:
        return "not declared in the connector's spec"
    if not isinstance(connector, PROTOCOLS[capability]):
        return f"declared but the object does not implement {PROTOCOLS[capability].__name__}"
    return None


def supports(connector: object, capability: str, *, spec: ConnectorSpec | None = None) -> bool:
    """True when the connector's spec declares ``capability`` and the object implements it."""
    return why_unsupported(connector, capability, spec=spec) is None


@overload
def require(connector: object, capability: Literal["receive_webhook"]) -> ReceiveWebhook: ...
@overload
def require(connector: object, capability: Literal["map_delivery"]) -> MapDelivery: ...
@overload
def require(connector: object, capability: Literal["register_webhooks"]) -> RegisterWebhooks: ...
@overload
def require(connector: object, capability: Literal["unregister_webhooks"]) -> UnregisterWebhooks: ...
@overload
def require(connector: object, capability: Literal["fetch_order"]) -> FetchOrder: ...
@overload
def require(connector: object, capability: Literal["pull_orders"]) -> PullOrders: ...
@overload
def require(connector: object, capability: Literal["push_fulfillment"]) -> PushFulfillment: ...
@overload
def require(connector: object, capability: Literal["dispatch_job"]) -> DispatchJob: ...
@overload
def require(connector: object, capability: Literal["quote"]) -> QuoteJob: ...
@overload
def require(connector: object, capability: Literal["cancel_job"]) -> CancelJob: ...
@overload
def require(connector: object, capability: Literal["push_pick_by"]) -> PushPickBy: ...
@overload
def require(connector: object, capability: str) -> Any: ...


def require(connector: object, capability: str) -> Any:
    """Return ``connector`` typed as the capability's protocol, or raise :class:`CapabilityMissing`."""
    why = why_unsupported(connector, capability)
    if why is not None:
        spec = spec_of(connector)
        raise CapabilityMissing(spec.id if spec else type(connector).__name__, capability, why)
    return connector
