"""`hub connector new NAME`: the skeleton it writes is a whole connector package. Installed (into a venv of its
own that sees the hub's), it is listed by `hub connectors --json` and passes the contract kit as generated."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest
from click.testing import CliRunner

from hub.cli import main

PIP_TIMEOUT_S = 600  # an isolated build may fetch setuptools and wheel on a cold cache


def new(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["connector", "new", *args])
    return result.exit_code, result.output


def test_a_bad_name_or_an_existing_folder_is_refused(tmp_path: Path) -> None:
    for bad in ("Acme", "acme-orders", "9lives", "acme orders", ""):
        code, output = new(bad, "--dir", str(tmp_path / "x"))
        assert code != 0 and "is not a connector id" in output, (bad, output)
    assert not (tmp_path / "x").exists()
    (tmp_path / "taken").mkdir()
    code, output = new("acme", "--dir", str(tmp_path / "taken"))
    assert code != 0 and "already exists" in output
    assert list((tmp_path / "taken").iterdir()) == []  # nothing written into it


def test_the_skeleton_is_named_after_the_connector(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    code, output = new("corner_shop")
    assert code == 0, output
    root = tmp_path / "hub-connector-corner-shop"  # the default folder
    pyproject = (root / "pyproject.toml").read_text()
    assert 'name = "hub-connector-corner-shop"' in pyproject
    assert '[project.entry-points."delivery_hub.connectors"]\ncorner_shop = "hub_connector_corner_shop:CONNECTOR"' in pyproject
    assert 'id="corner_shop"' in (root / "hub_connector_corner_shop" / "__init__.py").read_text()
    test = (root / "tests" / "test_contract.py").read_text()
    assert "class TestCornerShopContract(ConnectorContract):" in test and 'connector = "corner_shop"' in test
    settings = json.loads((root / "tests" / "payloads" / "settings.json").read_text())
    assert settings["valid"]["webhook_secret"] == "corner_shop-test-secret-0123456789"
    headers = json.loads((root / "tests" / "payloads" / "requests" / "first_order.headers.json").read_text())
    assert len(headers["X-CornerShop-Signature"]) == 64  # signed at generation, over the recorded body
    assert not [p for p in root.rglob("*") if "__" in p.name and p.name not in ("__init__.py",)]


def _venv_seeing_the_hub(folder: Path) -> Path:
    """A fresh venv whose site also loads this interpreter's (where the hub is installed), so installing the
    generated package there leaves the hub's own environment untouched."""
    subprocess.run([sys.executable, "-m", "venv", str(folder)], check=True, timeout=120)
    python = folder / "bin" / "python"
    purelib = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                             capture_output=True, text=True, check=True).stdout.strip()
    # An import line in a .pth runs at start-up; addsitedir also reads the .pth files there (the editable hub's).
    Path(purelib, "hub_site.pth").write_text(f"import site; site.addsitedir({sysconfig.get_paths()['purelib']!r})\n")
    return python


@pytest.mark.slow
def test_the_generated_package_installs_is_listed_and_passes_the_kit(tmp_path: Path) -> None:
    package = tmp_path / "acme"
    code, output = new("acme", "--dir", str(package))
    assert code == 0, output
    python = _venv_seeing_the_hub(tmp_path / "venv")
    env = {k: v for k, v in os.environ.items() if k not in ("HUB_UPDATE_GOLDEN", "PYTHONPATH")}
    install = subprocess.run([str(python), "-m", "pip", "install", "--quiet", "--no-deps", "-e", str(package)],
                             capture_output=True, text=True, env=env, timeout=PIP_TIMEOUT_S)
    assert install.returncode == 0, install.stdout + install.stderr

    listed = subprocess.run([str(python), "-m", "hub.cli", "connectors", "--json"], capture_output=True, text=True,
                            env=env, timeout=120)
    assert listed.returncode == 0, listed.stderr
    listing = json.loads(listed.stdout[listed.stdout.index("{"):])
    (acme,) = [c for c in listing["connectors"] if c["id"] == "acme"]
    assert acme["capabilities"] == ["map_delivery", "receive_webhook"] and listing["failed"] == []
    assert acme["settings_schema"]["properties"]["webhook_secret"]["x-secret"] is True

    kit = subprocess.run([str(python), "-m", "pytest", "-q", "-rs", "-p", "no:cacheprovider"], capture_output=True,
                         text=True, env=env, cwd=package, timeout=300)
    report = kit.stdout + kit.stderr
    assert kit.returncode == 0, report
    assert " passed" in report and "skipped" not in report and "failed" not in report, report
