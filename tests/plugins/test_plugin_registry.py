"""The registry: lazy loading through entry points; broken plugins are reported, never fatal."""

from __future__ import annotations

import sys
import textwrap
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any, Callable

import pytest
from marshmallow import Schema

from hub.plugins import ConnectorSpec
from hub.plugins.registry import LoadFailure, Registry, UnknownConnector, default_registry


class NoSettings(Schema):
    pass


def make_spec(connector_id: str) -> ConnectorSpec:
    return ConnectorSpec(
        id=connector_id, label=connector_id.title(), kind="carrier", version="1", settings_schema=NoSettings,
        capabilities=frozenset(), factory=lambda settings: object(),
    )


@dataclass
class FakeEntryPoint:
    name: str
    value: str
    target: Callable[[], Any]
    loads: int = 0

    def load(self) -> Any:
        self.loads += 1
        return self.target()


def boom() -> Any:
    raise ImportError("No module named 'requests_oauthlib'")


def exits() -> Any:
    raise SystemExit(1)


def test_discovery_is_lazy_and_get_loads_once() -> None:
    good = FakeEntryPoint("fastco", "fastco:CONNECTOR", lambda: make_spec("fastco"))
    registry = Registry(entry_points=lambda: [good]).discover()
    assert registry.names() == ["fastco"] and good.loads == 0
    assert registry.get("fastco").id == "fastco"
    assert registry.get("fastco").id == "fastco"
    assert good.loads == 1


def test_broken_plugins_are_reported_not_raised() -> None:
    eps = [
        FakeEntryPoint("good", "good:CONNECTOR", lambda: make_spec("good")),
        FakeEntryPoint("broken", "broken:CONNECTOR", boom),
        FakeEntryPoint("quitter", "quitter:CONNECTOR", exits),
        FakeEntryPoint("notspec", "notspec:CONNECTOR", lambda: {"id": "notspec"}),
        FakeEntryPoint("alias", "renamed:CONNECTOR", lambda: make_spec("renamed")),
        FakeEntryPoint("good", "other_good:CONNECTOR", lambda: make_spec("good")),
    ]
    registry = Registry(entry_points=lambda: eps)
    assert [s.id for s in registry.specs()] == ["good"]
    failures = {(f.name, f.value): f.error for f in registry.failures()}
    assert set(failures) == {
        ("broken", "broken:CONNECTOR"), ("quitter", "quitter:CONNECTOR"), ("notspec", "notspec:CONNECTOR"),
        ("alias", "renamed:CONNECTOR"), ("good", "other_good:CONNECTOR"),
    }
    assert "requests_oauthlib" in failures[("broken", "broken:CONNECTOR")]
    assert "expected a hub.plugins.ConnectorSpec" in failures[("notspec", "notspec:CONNECTOR")]
    assert "differs from spec id 'renamed'" in failures[("alias", "renamed:CONNECTOR")]
    assert "duplicate" in failures[("good", "other_good:CONNECTOR")]
    with pytest.raises(UnknownConnector, match="failed to load: import failed"):
        registry.get("broken")
    with pytest.raises(UnknownConnector, match="not installed"):
        registry.get("nothere")


def test_entry_point_scan_failure_is_reported() -> None:
    def unreadable() -> list[Any]:
        raise RuntimeError("bad metadata")

    registry = Registry(entry_points=unreadable)
    assert registry.specs() == []
    assert registry.failures()[0].error.startswith("could not read entry points")


def test_extra_specs_win_and_need_no_entry_points() -> None:
    shadowed = FakeEntryPoint("fastco", "fastco:CONNECTOR", boom)
    registry = Registry(extra=[make_spec("fastco")], entry_points=lambda: [shadowed])
    assert registry.get("fastco").label == "Fastco"
    assert registry.failures() == [] and shadowed.loads == 0
    assert [s.id for s in Registry(extra=[make_spec("a")], entry_points=None).specs()] == ["a"]
    with pytest.raises(TypeError):
        Registry(extra=[{"id": "x"}])  # type: ignore[list-item]


def test_real_entry_points_from_an_installed_distribution(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A distribution on sys.path whose plugin raises on import: reported with its entry-point value."""
    (tmp_path / "exploding_plugin.py").write_text("raise RuntimeError('plugin bug at import')\n")
    (tmp_path / "working_plugin.py").write_text(textwrap.dedent("""
        from marshmallow import Schema
        from hub.plugins import ConnectorSpec
        class S(Schema):
            pass
        CONNECTOR = ConnectorSpec(id="working", label="Working", kind="fleet", version="2",
                                  settings_schema=S, capabilities=frozenset(), factory=lambda s: object())
    """))
    dist = tmp_path / "broken_plugins-0.1.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: broken-plugins\nVersion: 0.1\n")
    (dist / "entry_points.txt").write_text(
        "[delivery_hub.connectors]\nexploding = exploding_plugin:CONNECTOR\nworking = working_plugin:CONNECTOR\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "exploding_plugin", raising=False)
    assert {"exploding", "working"} <= {ep.name for ep in metadata.entry_points(group="delivery_hub.connectors")}
    registry = Registry().discover()
    assert registry.get("working").version == "2"
    failure = next(f for f in registry.failures() if f.name == "exploding")
    assert failure == LoadFailure("exploding", "exploding_plugin:CONNECTOR", "import failed: RuntimeError: plugin bug at import")


def test_default_registry_is_cached() -> None:
    assert default_registry() is default_registry()
