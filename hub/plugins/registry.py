"""The plugin registry: every ``ConnectorSpec`` found through entry points, loaded lazily (and, with another
group and spec type, every ``NotifierSpec`` of ``delivery_hub.notifiers``: hub.plugins.notifiers).

Connectors, built-in or third-party, register the same way, in their package's ``pyproject.toml``::

    [project.entry-points."delivery_hub.connectors"]
    acme_orders = "hub_connector_example:CONNECTOR"

``Registry.discover()`` reads entry-point *names* only; a connector's module is imported the first
time it is asked for (``get``) or listed (``specs``). A plugin that raises on import, does not
resolve to a ``ConnectorSpec``, or whose entry-point name differs from its ``spec.id`` is recorded
as a :class:`LoadFailure` (shown by ``hub connectors`` and ``/healthz``) and never crashes the hub.
"""

from __future__ import annotations

import functools
import logging
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from importlib import metadata
from typing import Any, Protocol

from hub.plugins.spec import ConnectorSpec, PluginError

__all__ = ["ENTRY_POINT_GROUP", "LoadFailure", "Registry", "UnknownConnector", "default_registry"]

ENTRY_POINT_GROUP = "delivery_hub.connectors"
log = logging.getLogger(__name__)


class EntryPointLike(Protocol):
    """What the registry needs from an entry point (``importlib.metadata.EntryPoint`` fits)."""

    name: str
    value: str

    def load(self) -> Any: ...


@dataclass(frozen=True)
class LoadFailure:
    """A connector that could not be loaded: entry-point name, its target, and why."""

    name: str
    value: str
    error: str


class UnknownConnector(PluginError, KeyError):
    """No loadable connector (or other plugin) with that id (``reason`` says whether it failed to load)."""

    def __init__(self, connector_id: str, reason: str, noun: str = "connector") -> None:
        super().__init__(f"{noun} {connector_id!r}: {reason}")
        self.connector_id = connector_id
        self.reason = reason

    def __str__(self) -> str:
        return str(self.args[0])


def _installed_entry_points(group: str = ENTRY_POINT_GROUP) -> list[EntryPointLike]:
    return list(metadata.entry_points(group=group))


class Registry:
    """Connector specs by id.

    ``entry_points`` is a callable returning entry points (default: the installed ones in
    ``delivery_hub.connectors``); tests inject their own. ``extra`` specs are registered directly and
    win over an entry point of the same id. ``group``, ``spec_type`` and ``noun`` make the same loading serve
    another kind of plugin (``hub.plugins.notifiers.notifier_registry``).
    """

    def __init__(
        self,
        *,
        extra: Iterable[Any] = (),
        entry_points: Callable[[], Iterable[EntryPointLike]] | None = _installed_entry_points,
        group: str = ENTRY_POINT_GROUP,
        spec_type: type = ConnectorSpec,
        noun: str = "connector",
    ) -> None:
        self.group, self.spec_type, self.noun = group, spec_type, noun
        if entry_points is _installed_entry_points and group != ENTRY_POINT_GROUP:
            entry_points = functools.partial(_installed_entry_points, group)
        self._entry_points_source = entry_points
        self._extra: dict[str, ConnectorSpec] = {}
        for spec in extra:
            self.register(spec)
        self._pending: dict[str, EntryPointLike] = {}
        self._loaded: dict[str, ConnectorSpec] = {}
        self._failures: dict[str, LoadFailure] = {}
        self._discovered = False
        self._lock = threading.RLock()  # gunicorn threads may ask for the same connector at once

    def register(self, spec: ConnectorSpec) -> None:
        """Register a spec directly (tests, embedding)."""
        if not isinstance(spec, self.spec_type):
            raise TypeError(f"expected a {self.spec_type.__name__}, got {type(spec).__name__}")
        self._extra[spec.id] = spec

    def discover(self) -> Registry:
        """Read the entry points (names only; nothing is imported). Safe to call again to rescan."""
        with self._lock:
            self._pending.clear()
            self._loaded.clear()
            self._failures.clear()
            eps: Iterable[EntryPointLike] = ()
            if self._entry_points_source is not None:
                try:
                    eps = list(self._entry_points_source())
                except Exception as exc:  # broken metadata of some unrelated distribution
                    self._fail("*", self.group, f"could not read entry points: {exc!r}")
            for ep in eps:
                if ep.name in self._pending:
                    self._fail(ep.name, ep.value, f"duplicate entry point; {self._pending[ep.name].value!r} is used")
                    continue
                self._pending[ep.name] = ep
            self._discovered = True
        return self

    def _ensure_discovered(self) -> None:
        if not self._discovered:
            self.discover()

    def _fail(self, name: str, value: str, error: str) -> None:
        log.warning("%s %r (%s) failed to load: %s", self.noun, name, value, error)
        key = name if name not in self._failures else f"{name}#{len(self._failures)}"
        self._failures[key] = LoadFailure(name=name, value=value, error=error)

    def _load(self, name: str) -> ConnectorSpec | None:
        """Import one pending entry point; record a failure instead of raising."""
        ep = self._pending.pop(name)
        try:
            obj = ep.load()
        except (Exception, SystemExit) as exc:  # a plugin's import must never take the hub down
            self._fail(name, ep.value, f"import failed: {type(exc).__name__}: {exc}")
            return None
        if not isinstance(obj, self.spec_type):
            self._fail(name, ep.value, f"resolved to {type(obj).__name__}, expected a hub.plugins.{self.spec_type.__name__}")
            return None
        if obj.id != name:
            self._fail(name, ep.value, f"entry point name {name!r} differs from spec id {obj.id!r}")
            return None
        self._loaded[name] = obj
        return obj

    def names(self) -> list[str]:
        """Every known connector id, loaded or not (failures excluded once they failed)."""
        with self._lock:
            self._ensure_discovered()
            return sorted(set(self._extra) | set(self._loaded) | set(self._pending))

    def get(self, connector_id: str) -> ConnectorSpec:
        """The spec for ``connector_id``, importing it on first use; :class:`UnknownConnector` if
        there is none or it failed to load."""
        with self._lock:
            self._ensure_discovered()
            if connector_id in self._extra:
                return self._extra[connector_id]
            if connector_id in self._loaded:
                return self._loaded[connector_id]
            if connector_id in self._pending:
                spec = self._load(connector_id)
                if spec is not None:
                    return spec
            failure = self._failures.get(connector_id)
            if failure is not None:
                raise UnknownConnector(connector_id, f"failed to load: {failure.error}", self.noun)
            raise UnknownConnector(connector_id, "not installed", self.noun)

    def load_all(self) -> None:
        """Import every pending entry point (for listings and health checks)."""
        with self._lock:
            self._ensure_discovered()
            for name in list(self._pending):
                if name not in self._extra:  # shadowed by a directly registered spec
                    self._load(name)

    def specs(self) -> list[ConnectorSpec]:
        """Every loadable spec, sorted by id (imports all of them)."""
        self.load_all()
        with self._lock:
            merged: Mapping[str, ConnectorSpec] = {**self._loaded, **self._extra}
            return [merged[k] for k in sorted(merged)]

    def failures(self) -> list[LoadFailure]:
        """Every connector that failed to load, sorted by name (imports all of them)."""
        self.load_all()
        with self._lock:
            return sorted(self._failures.values(), key=lambda f: (f.name, f.value))


@functools.lru_cache(maxsize=1)
def default_registry() -> Registry:
    """The process-wide registry over the installed entry points (``default_registry.cache_clear()``
    after installing a package at runtime)."""
    return Registry().discover()
