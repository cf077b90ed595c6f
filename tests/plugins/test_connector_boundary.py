"""Connectors under connectors/ use the hub only through its plugin API: ``hub.plugins`` (and ``hub.testing``
in their tests), as a third-party package must. Every .py file is parsed, tests included; imports inside
functions count too."""

from __future__ import annotations

import ast
from pathlib import Path

from hub.paths import REPO_ROOT

ALLOWED = ("hub.plugins", "hub.testing")


def _hub_imports(file: Path) -> list[tuple[int, str]]:
    found = []
    for node in ast.walk(ast.parse(file.read_text(encoding="utf-8"), filename=str(file))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            # "from hub import x" imports hub.x (a module or a name of hub/__init__): check both spellings
            names = [f"{node.module}.{a.name}" for a in node.names] if node.module == "hub" else [node.module]
        else:
            continue
        found += [(node.lineno, name) for name in names if name == "hub" or name.startswith("hub.")]
    return found


def leaks(root: Path) -> list[str]:
    out = []
    for file in sorted(root.rglob("*.py")):
        for line, name in sorted(_hub_imports(file)):
            if not any(name == allowed or name.startswith(allowed + ".") for allowed in ALLOWED):
                out.append(f"{file.relative_to(root)}:{line} imports {name}")
    return out


def test_connectors_import_only_the_plugin_api() -> None:
    assert leaks(REPO_ROOT / "connectors") == []


def test_the_check_sees_what_it_must(tmp_path: Path) -> None:
    (tmp_path / "x.py").write_text(
        "from hub.plugins import load_table\nfrom hub.testing import make_request\nimport hub.plugins.tables\n"
        "def f():\n    from hub.errors import TransientError\n    import hub.db.models\n"
        "from hub import canonical\nimport hubspot\n", encoding="utf-8")
    assert leaks(tmp_path) == ["x.py:5 imports hub.errors", "x.py:6 imports hub.db.models", "x.py:7 imports hub.canonical"]


def test_every_plugin_name_the_built_ins_use_is_documented_for_authors() -> None:
    used: set[str] = set()
    for file in (REPO_ROOT / "connectors").rglob("*.py"):
        for node in ast.walk(ast.parse(file.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module == "hub.plugins":
                used |= {alias.name for alias in node.names}
    guide = (REPO_ROOT / "docs" / "connectors" / "writing-a-connector.md").read_text(encoding="utf-8")
    assert sorted(name for name in used if f"`{name}" not in guide) == []


def test_every_name_hub_plugins_exports_is_documented_for_authors() -> None:
    import hub.plugins

    guide = (REPO_ROOT / "docs" / "connectors" / "writing-a-connector.md").read_text(encoding="utf-8")
    assert sorted(name for name in hub.plugins.__all__ if f"`{name}" not in guide) == []


def test_hub_plugins_exports_nothing_only_the_hub_needs() -> None:
    import hub.plugins

    hub_side = {"Registry", "default_registry", "UnknownConnector", "LoadFailure", "apply_overrides",
                "validate_overrides", "OverrideError", "redact", "public_settings", "spec_of", "why_unsupported"}
    assert hub_side & set(hub.plugins.__all__) == set() and not any(hasattr(hub.plugins, n) for n in hub_side)
