"""The hub's shape, checked from its source: rooms import downwards only, and no two rooms import each other.

A newcomer reads DESIGN's diagram and the folder names; this test keeps the code true to them. Every import
statement counts, module-level or inside a function (tests/architecture/import_graph.py).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.architecture.import_graph import ROOT, Import, all_imports, cycles, imports_of, room_edges, room_of

# Top to bottom: a room may import the rooms of the layers below its own, never above, never beside.
LAYERS: list[set[str]] = [
    {"hub"},  # the package root: `gunicorn 'hub:create_app()'`
    {"hub.cli"},
    {"hub.demo"},  # the only room that imports from everywhere
    {"hub.app", "hub.worker"},
    {"hub.api", "hub.customer", "hub.console"},  # the web: machine API, customer pages, operator console
    {"hub.jobs"},  # outbox handlers: they call the rooms below
    {"hub.tracking", "hub.slots", "hub.analytics"},  # these read plans and routes from the layer below
    {"hub.intake", "hub.planning", "hub.webhooks", "hub.writeback", "hub.notify"},
    {"hub.assignment", "hub.testing"},  # the kit checks carrier reports as the carrier API does
    {"hub.carriers"},
    {"hub.execution"},
    {"hub.ledger", "hub.accounts"},  # deliveries, events, tenants, installations, people: what every room reads
    {"hub.outbox"},
    {"hub.runtime"},
    {"hub.db", "hub.plugins", "hub.startup"},
    {"hub.canonical", "hub.routing", "hub.config", "hub.embedded_redis"},
    {"hub.egress"},  # where the hub may connect: plugins, webhooks, routing and jobs all go through it
    {"hub.errors", "hub.paths", "hub.version", "hub.sse"},  # sse: the live pages' one way to stream (Flask only)
]
# Imports inside a function defer something heavy that few calls need; nothing else may hide there.
DEFERRED = {
    "hub.routing.ortools_backend", "hub.routing.pyvrp_backend",  # OR-Tools, PyVRP: seconds to import
    "hub.routing.render",  # matplotlib, for PNGs only
    "hub.analytics.report",  # matplotlib too: only `hub report` draws
    "hub.app",  # the package root stays light for connectors that import only hub.plugins; the CLI for `hub --help`
    "hub.demo.main", "hub.demo.history",  # the CLI: only `hub demo` needs the whole hub loaded
    "hub.testing.contract",  # pytest: the kit is for tests; the stand-ins beside it run in the demo too
}


def layer_of(room: str) -> int:
    for index, rooms in enumerate(LAYERS):
        if room in rooms:
            return index
    raise AssertionError(f"{room} is in no layer of tests/architecture/test_imports.py: give it one")


def where(imp: Import) -> str:
    return f"{imp.path.relative_to(ROOT)}:{imp.line} imports {imp.imported}"


@pytest.fixture(scope="module")
def hub_imports() -> list[Import]:
    return all_imports("hub")


def test_every_room_has_a_layer_and_a_docstring(hub_imports: list[Import]) -> None:
    for path in sorted((ROOT / "hub").iterdir()):
        if path.name.startswith(("_", ".")) or not (path.is_dir() or path.suffix == ".py"):
            continue
        if path.is_dir() and not (path / "__init__.py").exists():
            continue
        room = f"hub.{path.stem}"
        layer_of(room)
        init = path / "__init__.py" if path.is_dir() else path
        assert init.read_text(encoding="utf-8").lstrip().startswith('"""'), f"{init.relative_to(ROOT)} says what it holds"


def test_no_import_cycle_between_rooms(hub_imports: list[Import]) -> None:
    edges = room_edges(hub_imports)
    found = cycles(edges)
    report = []
    for component in found:
        for (a, b), imports in sorted(edges.items()):
            if a in component and b in component:
                report.append(f"{a} -> {b}: {where(imports[0])}")
    assert not found, "rooms that import each other:\n" + "\n".join(report)


def test_rooms_import_only_downwards(hub_imports: list[Import]) -> None:
    edges = {pair: imports for pair, imports in room_edges(hub_imports).items() if pair[1].startswith("hub")}
    upward = [f"{a} (layer {layer_of(a)}) -> {b} (layer {layer_of(b)}): {where(imports[0])}"
              for (a, b), imports in sorted(edges.items()) if layer_of(b) <= layer_of(a)]
    assert not upward, "imports that go up or sideways:\n" + "\n".join(upward)


def test_only_the_demo_imports_connectors(hub_imports: list[Import]) -> None:
    """The hub finds connectors through entry points; only the demo drives their stand-in stores directly."""
    direct = [where(imports[0]) for (a, b), imports in sorted(room_edges(hub_imports).items())
              if b.startswith("connectors") and a != "hub.demo"]
    assert not direct, "the hub imports a connector by name:\n" + "\n".join(direct)


def test_imports_inside_functions_only_defer_heavy_modules(hub_imports: list[Import]) -> None:
    hidden = [where(imp) for imp in hub_imports if imp.in_function and room_of(imp.imported)
              and not any(imp.imported == m or imp.imported.startswith(m + ".") for m in DEFERRED)]
    assert not hidden, "move these imports to the top of their module:\n" + "\n".join(hidden)


def test_deferred_imports_say_why(hub_imports: list[Import]) -> None:
    silent = []
    for imp in hub_imports:
        if imp.in_function and room_of(imp.imported):
            lines = imp.path.read_text(encoding="utf-8").splitlines()
            nearby = lines[max(0, imp.line - 4): imp.line]
            if not any("#" in line for line in nearby):
                silent.append(where(imp))
    assert not silent, "a deferred import needs a comment saying what it defers:\n" + "\n".join(silent)


def test_no_import_error_guard_around_hub_code() -> None:
    guarded = []
    for path in sorted((ROOT / "hub").rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        if "except ImportError" in text or "except ModuleNotFoundError" in text:
            guarded.append(str(path.relative_to(ROOT)))
    assert not guarded, "the hub's own packages are never optional: " + ", ".join(guarded)


def test_the_checks_see_a_cycle(tmp_path: Path) -> None:
    """The graph catches what the rules forbid: a function-level import closing a cycle counts too."""
    for name, body in {"low": "import hub.high\n", "high": "def f():\n    from hub.low import x\n"}.items():
        (tmp_path / "hub" / name).mkdir(parents=True)
        (tmp_path / "hub" / name / "__init__.py").write_text(body)
    imports: list[Import] = []
    for path in sorted((tmp_path / "hub").rglob("*.py")):
        imports.extend(imports_of(path, root=tmp_path))
    edges = room_edges(imports, root=tmp_path)
    assert cycles(edges) == [["hub.high", "hub.low"]]
    assert any(i.in_function for i in edges[("hub.high", "hub.low")])
