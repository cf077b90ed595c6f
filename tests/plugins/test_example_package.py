"""The example third-party connector, installed as a third party would install it.

The hub never imports ``hub_connector_example``: it must find it through the entry point, and the
package's own contract tests (the kit) must pass. If the package is not installed yet (``make test``
installs it), the fixture pip-installs it in editable mode, once per session.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import pytest

from hub.paths import REPO_ROOT

EXAMPLE = REPO_ROOT / "examples" / "hub-connector-example"
DIST = "hub-connector-example"
PIP_TIMEOUT_S = 600  # an isolated build may fetch setuptools and wheel on a cold cache


def _env() -> dict[str, str]:
    """The hub itself may not be pip-installed in development: put the checkout on the path."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH")]))
    env.pop("HUB_UPDATE_GOLDEN", None)
    return env


def _installed() -> bool:
    try:
        return any(ep.name == "acme_orders" for ep in metadata.distribution(DIST).entry_points)
    except metadata.PackageNotFoundError:
        return False


@pytest.fixture(scope="session")
def example_installed() -> Path:
    if not _installed():
        base = [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "-e", str(EXAMPLE)]
        outputs = []
        # Offline first (needs setuptools and wheel in the venv), then an isolated build.
        for extra in (["--no-build-isolation"], []):
            result = subprocess.run([*base, *extra], capture_output=True, text=True, timeout=PIP_TIMEOUT_S)
            outputs.append(result.stdout + result.stderr)
            if result.returncode == 0:
                break
        if not _installed():
            pytest.fail("could not pip install the example connector:\n" + "\n---\n".join(outputs))
    return EXAMPLE


def test_the_registry_finds_the_example_through_its_entry_point(example_installed: Path) -> None:
    (ep,) = [ep for ep in metadata.entry_points(group="delivery_hub.connectors") if ep.name == "acme_orders"]
    assert ep.value == "hub_connector_example:CONNECTOR"
    probe = (
        "import json; from hub.plugins.registry import default_registry; r = default_registry(); s = r.get('acme_orders');"
        "print(json.dumps({'id': s.id, 'kind': s.kind, 'caps': sorted(s.capabilities),"
        " 'failed': [f.name for f in r.failures()]}))"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, env=_env(), cwd=REPO_ROOT, timeout=60)
    assert result.returncode == 0, result.stderr
    found = json.loads(result.stdout.strip().splitlines()[-1])
    assert found["id"] == "acme_orders" and found["kind"] == "source"
    assert found["caps"] == ["map_delivery", "receive_webhook"]
    assert "acme_orders" not in found["failed"]


def test_the_hub_does_not_import_the_example() -> None:
    imports = re.compile(r"^\s*(from|import)\s+hub_connector_example\b|import_module\(.hub_connector_example", re.M)
    offenders = [str(p.relative_to(REPO_ROOT)) for p in (REPO_ROOT / "hub").rglob("*.py") if imports.search(p.read_text())]
    assert offenders == []


@pytest.mark.slow
def test_the_contract_kit_passes_on_the_example(example_installed: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-rs", "-p", "no:cacheprovider", "tests"],
        capture_output=True, text=True, env=_env(), cwd=example_installed, timeout=300,
    )
    report = result.stdout + result.stderr
    assert result.returncode == 0, report
    assert "no installed entry point" not in report, "the entry-point check was skipped:\n" + report
    assert " passed" in report
