"""The connector spec: who a connector is, how to build it, and the errors of the plugin API.

A connector package exports one :class:`ConnectorSpec` (conventionally named ``CONNECTOR``) and
registers it under the entry-point group ``delivery_hub.connectors``. The spec says who the connector
is (id, label, kind, version), what settings an installation needs (a marshmallow schema) and what it
can do (capability names, see :mod:`hub.plugins.capabilities`). Its ``factory`` builds the connector
object from validated settings; that object implements one small protocol per declared capability.

What goes in and out of that object (requests, events, mapped deliveries, results) are the value types
of :mod:`hub.plugins.values`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal, get_args

import marshmallow

from hub.plugins.capabilities import CAPABILITIES, attach_spec
from hub.plugins.tables import Table

__all__ = [
    "ConnectorKind",
    "ConnectorSpec",
    "ID_PATTERN",
    "KINDS",
    "PluginError",
    "SpecError",
    "WebhookAuth",
]

ConnectorKind = Literal["source", "warehouse", "carrier", "fleet"]
KINDS: frozenset[str] = frozenset(get_args(ConnectorKind))

#: A connector id is one lowercase word (underscores allowed): the same word is the folder name, the
#: entry-point name and the value stored on every installation. 40 characters fit any sane name.
ID_PATTERN = re.compile(r"^[a-z][a-z0-9_]{0,39}$")


class PluginError(Exception):
    """Base class of every error raised by the plugin API."""


class SpecError(PluginError, ValueError):
    """A :class:`ConnectorSpec` (or a value a connector returned) is malformed."""


AuthScheme = Literal["signature", "header_token"]
AUTH_SCHEMES: frozenset[str] = frozenset(get_args(AuthScheme))


@dataclass(frozen=True)
class WebhookAuth:
    """How inbound requests prove where they come from; the contract kit tests what applies to the scheme.

    ``signature``: a header carries a signature over the body (HMAC, Standard Webhooks); a flipped byte of
    the body must fail. ``header_token``: a header carries a shared secret as is and the body is unsigned;
    a missing or wrong token must fail. ``header`` names that header; ``secrets`` the settings that sign
    (or are the token), None meaning every secret setting.
    """

    scheme: AuthScheme = "signature"
    header: str | None = None
    secrets: tuple[str, ...] | None = None

    def __post_init__(self) -> None:
        if self.scheme not in AUTH_SCHEMES:
            raise SpecError(f"WebhookAuth.scheme {self.scheme!r} is not one of {sorted(AUTH_SCHEMES)}")
        if self.scheme == "header_token" and not self.header:
            raise SpecError("WebhookAuth: the header_token scheme needs the header that carries the token")
        if self.secrets is not None:
            if isinstance(self.secrets, str):
                raise SpecError("WebhookAuth.secrets is a tuple of setting names, not one string")
            object.__setattr__(self, "secrets", tuple(self.secrets))


@dataclass(frozen=True)
class ConnectorSpec:
    """Who a connector is and how to build it. Export one as ``CONNECTOR`` from your package.

    ``settings_schema`` is a marshmallow schema class; mark secret fields with
    ``metadata={"secret": True}``. ``factory`` receives the settings after the hub validated them
    with that schema (see :func:`hub.plugins.settings.load_settings`) and returns the connector
    object. ``capabilities`` lists what that object implements; the hub calls nothing else.
    ``tables`` are the value tables (:func:`hub.plugins.load_table`) the mapping reads through
    ``Table.in_context(ctx)``: an owner may patch these per installation, and ``hub mappings show``
    lists them.
    """

    id: str
    label: str
    kind: ConnectorKind
    version: str
    settings_schema: type[marshmallow.Schema]
    capabilities: frozenset[str]
    factory: Callable[[Mapping[str, Any]], object]
    description: str = ""
    docs_url: str | None = None
    tables: tuple[Table, ...] = ()
    #: How inbound webhooks authenticate (with ``receive_webhook``); None: a signature in an unnamed header,
    #: made with every secret setting.
    webhook_auth: WebhookAuth | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.id, str) or not ID_PATTERN.match(self.id):
            raise SpecError(
                f"connector id {self.id!r} must be one lowercase word matching {ID_PATTERN.pattern}"
            )
        if not isinstance(self.label, str) or not self.label.strip():
            raise SpecError(f"connector {self.id!r}: label must be a non-empty string")
        if self.kind not in KINDS:
            raise SpecError(f"connector {self.id!r}: kind {self.kind!r} is not one of {sorted(KINDS)}")
        if not isinstance(self.version, str) or not self.version.strip():
            raise SpecError(f"connector {self.id!r}: version must be a non-empty string")
        if not (isinstance(self.settings_schema, type) and issubclass(self.settings_schema, marshmallow.Schema)):
            raise SpecError(f"connector {self.id!r}: settings_schema must be a marshmallow.Schema subclass")
        if isinstance(self.capabilities, str) or not isinstance(self.capabilities, Iterable):
            raise SpecError(f"connector {self.id!r}: capabilities must be a set of names")
        caps = frozenset(self.capabilities)
        unknown = sorted(caps - CAPABILITIES)
        if unknown:
            raise SpecError(
                f"connector {self.id!r}: unknown capabilities {unknown}; known: {sorted(CAPABILITIES)}"
            )
        object.__setattr__(self, "capabilities", caps)
        if not callable(self.factory):
            raise SpecError(f"connector {self.id!r}: factory must be callable")
        if self.docs_url is not None and not str(self.docs_url).startswith(("https://", "http://")):
            raise SpecError(f"connector {self.id!r}: docs_url must be an http(s) URL")
        if isinstance(self.tables, (str, Table)) or not all(isinstance(t, Table) for t in self.tables):
            raise SpecError(f"connector {self.id!r}: tables must be a sequence of hub.plugins.Table (load_table)")
        object.__setattr__(self, "tables", tuple(self.tables))
        if self.webhook_auth is not None and not isinstance(self.webhook_auth, WebhookAuth):
            raise SpecError(f"connector {self.id!r}: webhook_auth must be a WebhookAuth")

    def create(self, settings: Mapping[str, Any]) -> object:
        """Build the connector object from *validated* settings and remember which spec built it.

        The hub validates first with :func:`hub.plugins.settings.load_settings`; call that yourself
        in tests (``spec.create(load_settings(spec, raw))``).
        """
        instance = self.factory(settings)
        if instance is None:
            raise SpecError(f"connector {self.id!r}: factory returned None")
        attach_spec(instance, self)
        return instance
