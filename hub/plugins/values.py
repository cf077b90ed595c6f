"""The value types that cross the plugin boundary: everything that goes in and out of a connector.

Each is plain data (frozen dataclasses, and :class:`Headers`), with no hub internals, so a connector
never needs to import anything else from the hub. A malformed value raises
:class:`hub.plugins.spec.SpecError` when it is built.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from types import MappingProxyType
from typing import Any, Literal, get_args

from hub.plugins.spec import SpecError

__all__ = [
    "DispatchResult",
    "EVENT_KINDS",
    "EventKind",
    "Headers",
    "InboundEvent",
    "InboundRequest",
    "MappedDelivery",
    "MappingContext",
    "MappingWarning",
    "PullBatch",
    "Quote",
    "RegisteredHook",
    "Severity",
    "Verification",
    "WriteBackResult",
]

EventKind = Literal[
    "order.upsert", "order.cancel", "order.delete", "order.fetch", "ping", "status", "pod", "warehouse",
    "uninstalled", "ignored",
]
EVENT_KINDS: frozenset[str] = frozenset(get_args(EventKind))


def _empty() -> Mapping[str, Any]:
    return MappingProxyType({})


def _require_aware(name: str, value: datetime | None) -> None:
    if value is not None and (not isinstance(value, datetime) or value.tzinfo is None):
        raise SpecError(f"{name} must be a timezone-aware datetime, got {value!r}")


class Headers(Mapping[str, str]):
    """Immutable, case-insensitive HTTP headers. ``headers["x-acme-signature"]`` finds
    ``X-Acme-Signature``; repeated headers are kept (``get_all``), lookups return the first value."""

    __slots__ = ("_items",)

    def __init__(self, source: Mapping[str, str] | Iterable[tuple[str, str]] | None = None) -> None:
        pairs: Iterable[tuple[str, str]]
        if source is None:
            pairs = ()
        elif hasattr(source, "items") and callable(source.items):
            pairs = source.items()  # a dict, another Headers or werkzeug's Headers
        else:
            pairs = source  # type: ignore[assignment]
        self._items: tuple[tuple[str, str], ...] = tuple((str(k), str(v)) for k, v in pairs)

    def __getitem__(self, name: str) -> str:
        wanted = name.lower()
        for key, value in self._items:
            if key.lower() == wanted:
                return value
        raise KeyError(name)

    def __iter__(self) -> Iterator[str]:
        seen: set[str] = set()
        for key, _ in self._items:
            if key.lower() not in seen:
                seen.add(key.lower())
                yield key

    def __len__(self) -> int:
        return len({key.lower() for key, _ in self._items})

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and any(k.lower() == name.lower() for k, _ in self._items)

    def __repr__(self) -> str:
        return f"Headers({list(self._items)!r})"

    def get_all(self, name: str) -> list[str]:
        """Every value of a repeated header, in order received."""
        return [v for k, v in self._items if k.lower() == name.lower()]

    def raw_items(self) -> list[tuple[str, str]]:
        """All (name, value) pairs as received, duplicates included."""
        return list(self._items)

    def without(self, name: str) -> Headers:
        """A copy without any ``name`` header."""
        return Headers([(k, v) for k, v in self._items if k.lower() != name.lower()])

    def replacing(self, name: str, value: str) -> Headers:
        """A copy where ``name`` has exactly one value, ``value``."""
        return Headers([*self.without(name).raw_items(), (name, value)])


@dataclass(frozen=True)
class InboundRequest:
    """An HTTP request that arrived at ``POST /hooks/<installation_id>``, exactly as received.

    ``body`` is the raw bytes (verify signatures over these, never over re-serialised JSON).
    ``received_at`` is when the hub got it: use it, not the clock, to check signature timestamps.
    """

    method: str
    path: str
    headers: Headers
    body: bytes
    query: Mapping[str, str]
    remote_addr: str | None
    received_at: datetime

    def __post_init__(self) -> None:
        if not isinstance(self.headers, Headers):
            object.__setattr__(self, "headers", Headers(self.headers))
        if not isinstance(self.body, bytes):
            raise SpecError("InboundRequest.body must be bytes")
        object.__setattr__(self, "query", MappingProxyType(dict(self.query)))
        _require_aware("InboundRequest.received_at", self.received_at)

    def json(self) -> Any:
        """The body parsed as JSON (raises ``ValueError`` when it is not JSON)."""
        return json.loads(self.body.decode("utf-8"))


@dataclass(frozen=True)
class Verification:
    """The answer of ``verify``: ``ok`` or not and why. ``dedupe_key`` (e.g. the sender's webhook id)
    lets the hub drop a delivery it has already stored."""

    ok: bool
    reason: str = ""
    dedupe_key: str | None = None


@dataclass(frozen=True)
class InboundEvent:
    """One thing a verified request says happened. ``payload`` is what ``to_delivery`` will receive
    for ``order.*`` kinds. Use kind ``ignored`` with a ``reason`` for topics you do not handle.

    ``order.fetch`` (a webhook that carries only the order's id) asks the hub to read the order with the
    connector's ``fetch_order(external_id)`` in a job of its own; ``payload`` may be empty."""

    kind: EventKind
    external_id: str | None
    payload: Mapping[str, Any]
    topic: str
    occurred_at: datetime | None = None
    reason: str = ""

    def __post_init__(self) -> None:
        if self.kind not in EVENT_KINDS:
            raise SpecError(f"InboundEvent.kind {self.kind!r} is not one of {sorted(EVENT_KINDS)}")
        if self.kind == "order.fetch" and not self.external_id:
            raise SpecError("an order.fetch event needs the external_id of the order to fetch")
        _require_aware("InboundEvent.occurred_at", self.occurred_at)


@dataclass(frozen=True)
class MappingContext:
    """Everything ``to_delivery`` may depend on besides the raw payload.

    ``now`` replaces the clock. ``settings`` are the installation's settings without secrets.
    ``overrides`` are the owner's per-installation JMESPath field overrides (canonical path →
    expression); the hub applies them after ``to_delivery``, connectors need not.
    ``value_tables`` are the owner's per-installation table patches (table name → JSON merge patch);
    a connector reads its tables through ``Table.in_context(ctx)``, which applies them.
    """

    tenant: str
    installation_id: str
    connector: str
    now: datetime
    settings: Mapping[str, Any] = field(default_factory=_empty)
    overrides: Mapping[str, str] = field(default_factory=_empty)
    value_tables: Mapping[str, Any] = field(default_factory=_empty)

    def __post_init__(self) -> None:
        _require_aware("MappingContext.now", self.now)


Severity = Literal["info", "warning", "error"]


@dataclass(frozen=True)
class MappingWarning:
    """Something worth telling the owner about a mapped delivery; the hub stores it on the delivery
    as a data-quality flag (``schemas/delivery.v1.json#/$defs/DataQualityFlag``).

    ``code`` is a snake_case word (``address_missing_unit``, ``service_level_unknown``); ``field`` the
    JSON path of the canonical field it concerns (``$.dropoff.address.unit``, ``$.parcels[0].weight_g``).
    ``severity``: info (noted), warning (delivery may go wrong), error (an operator must act).
    """

    code: str
    message: str
    field: str | None = None
    severity: Severity = "warning"

    def as_flag(self) -> dict[str, str]:
        """The data-quality flag this warning becomes."""
        flag = {"code": self.code, "message": self.message, "severity": self.severity}
        if self.field is not None:
            flag["field"] = self.field
        return flag


@dataclass(frozen=True)
class MappedDelivery:
    """The result of ``to_delivery``: a canonical delivery dict (JSON types only) and warnings, or
    ``delivery=None`` with a ``skip_reason`` ("not deliverable: only digital items")."""

    delivery: dict[str, Any] | None
    warnings: list[MappingWarning] = field(default_factory=list)
    skip_reason: str | None = None
    # The store already shipped the whole order itself ("fulfilled", "completed", "complete"). The hub creates
    # no delivery for such an order when it first sees it (what the store shipped is not delivered again), but
    # keeps updating one it created: its own write-back is what marks the order shipped.
    shipped_by_source: bool = False

    def __post_init__(self) -> None:
        if (self.delivery is None) == (self.skip_reason is None):
            raise SpecError("MappedDelivery needs exactly one of delivery or skip_reason")

    @classmethod
    def skipped(cls, reason: str, warnings: Iterable[MappingWarning] = ()) -> MappedDelivery:
        """Shorthand for a payload that is not a delivery."""
        return cls(delivery=None, warnings=list(warnings), skip_reason=reason)


@dataclass(frozen=True)
class RegisteredHook:
    """A webhook subscription created at the other side by ``register_webhooks``."""

    topic: str
    address: str
    external_id: str | None = None


@dataclass(frozen=True)
class WriteBackResult:
    """The outcome of ``push_status`` (a fulfilment, a status update, a shipment)."""

    ok: bool
    external_ref: str | None = None
    detail: str = ""


@dataclass(frozen=True)
class PullBatch:
    """One page of ``pull``: raw orders, the bookmark to resume from, and whether more are waiting."""

    items: list[Mapping[str, Any]]
    next_bookmark: str | None
    has_more: bool


@dataclass(frozen=True)
class DispatchResult:
    """A carrier's answer to ``dispatch``: accepted with its reference, or refused with a reason."""

    accepted: bool
    external_ref: str | None = None
    reason: str = ""


@dataclass(frozen=True)
class Quote:
    """A carrier's price for a job: ``amount`` in ``currency`` (ISO 4217), an ETA and how long the
    price holds."""

    amount: Decimal
    currency: str
    eta: datetime | None = None
    expires_at: datetime | None = None

    def __post_init__(self) -> None:
        if not re.fullmatch(r"[A-Z]{3}", str(self.currency)):
            raise SpecError(f"Quote.currency {self.currency!r} is not an ISO 4217 code")
        object.__setattr__(self, "amount", Decimal(str(self.amount)))
        _require_aware("Quote.eta", self.eta)
        _require_aware("Quote.expires_at", self.expires_at)
