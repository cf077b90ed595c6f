"""An unset HUB_SECRET_KEY never means a public default: `hub init` (or the first start on SQLite) writes a random
key to HUB_DATA_DIR/secret_key (mode 0600) and every process uses it; on a shared database `hub serve` and
`hub worker` refuse to start without an explicit HUB_SECRET_KEY, saying why."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from hub.config import SECRET_KEY_FILE, Config, resolve_secret_key
from hub.errors import ConfigurationError

# What an unset HUB_SECRET_KEY used to mean: a value anyone can read in the hub's source.
OLD_PUBLIC_DEFAULT = "dev-insecure-secret-change-me"
SHARED_DATABASE = "postgresql://hub@127.0.0.1:1/hub"  # never connected to: the refusal comes first


def make_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HUB_")}
    return {**env, "HUB_DATA_DIR": str(tmp_path / "data"), "HUB_DATABASE_URL": f"sqlite:///{tmp_path / 'hub.db'}",
            "HUB_REDIS_URL": os.environ["HUB_REDIS_URL"], **extra}


def hub(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "hub.cli", *args], env=env, capture_output=True, text=True,
                          timeout=120)


def test_init_writes_a_random_key_that_every_later_process_uses(hub_env: dict[str, str], tmp_path: Path) -> None:
    env = make_env(tmp_path)
    first = hub(env, "init", "--tenant", "acme", "--json")
    assert first.returncode == 0, first.stderr
    path = Path(json.loads(first.stdout)["secret_key_file"])
    assert path == tmp_path / "data" / SECRET_KEY_FILE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    key = path.read_text().strip()
    assert len(key) >= 40 and key != OLD_PUBLIC_DEFAULT

    config = Config.from_env(env)
    assert (config.secret_key, config.secret_key_from) == (key, "file")
    again = hub(env, "init", "--tenant", "acme", "--new-admin-key", "--json")
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout)["secret_key_file"] is None and path.read_text().strip() == key  # kept
    other = make_env(tmp_path / "elsewhere")
    assert hub(other, "init", "--tenant", "acme").returncode == 0
    assert (tmp_path / "elsewhere" / "data" / SECRET_KEY_FILE).read_text().strip() != key  # random, not a default


def test_the_embedded_default_makes_its_own_key_on_first_start(tmp_path: Path) -> None:
    config = resolve_secret_key(Config.from_env({"HUB_DATA_DIR": str(tmp_path)}))  # SQLite, nothing set
    stored = (tmp_path / SECRET_KEY_FILE).read_text().strip()
    assert config.secret_key == stored and config.secret_key != OLD_PUBLIC_DEFAULT
    assert resolve_secret_key(Config.from_env({"HUB_DATA_DIR": str(tmp_path)})).secret_key == stored
    explicit = resolve_secret_key(Config.from_env({"HUB_DATA_DIR": str(tmp_path), "HUB_SECRET_KEY": "given"}))
    assert (explicit.secret_key, explicit.secret_key_from) == ("given", "environment")


def test_a_shared_database_without_any_key_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="HUB_SECRET_KEY is not set"):
        resolve_secret_key(Config.from_env({"HUB_DATA_DIR": str(tmp_path), "HUB_DATABASE_URL": SHARED_DATABASE}))
    assert not (tmp_path / SECRET_KEY_FILE).exists()  # no key made up that other machines would not have


@pytest.mark.parametrize("command", [["-m", "hub.cli", "serve"], ["-m", "hub.cli", "worker"], ["worker.py"]])
def test_serve_and_worker_refuse_a_shared_database_without_an_explicit_key(hub_env: dict[str, str], tmp_path: Path,
                                                                           command: list[str]) -> None:
    env = make_env(tmp_path, HUB_DATABASE_URL=SHARED_DATABASE)
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / SECRET_KEY_FILE).write_text("only-this-machine-has-it\n")  # a file is not enough
    refused = subprocess.run([sys.executable, *command], env=env, capture_output=True, text=True, timeout=120,
                             cwd=Path(__file__).resolve().parents[2])
    assert refused.returncode != 0
    assert "HUB_SECRET_KEY is not set" in refused.stderr and "postgresql" in refused.stderr
    assert "Traceback" not in refused.stderr
