"""Run the whole suite twice: on SQLite, and on PostgreSQL, both with a real Redis.

Uses the services it finds (HUB_TEST_POSTGRES_URL / HUB_TEST_REDIS_BASE, or the usual local ports);
where none is running it starts its own (the hub's embedded Redis, an embedded PostgreSQL from the
`pgserver` package), so a fresh machine with only Python needs nothing installed by hand. On CI
(CI=true) both passes must run against the machine's services: nothing is skipped.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/test"
DEFAULT_REDIS = "redis://127.0.0.1:6379"


def reachable(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def redis_base() -> str:
    if os.environ.get("HUB_TEST_REDIS_BASE"):
        return os.environ["HUB_TEST_REDIS_BASE"].rstrip("/")
    if reachable("127.0.0.1", 6379):
        return DEFAULT_REDIS
    from hub.embedded_redis import ensure_embedded_redis

    url = ensure_embedded_redis(ROOT / "var" / "test-services")
    print(f"no Redis on 127.0.0.1:6379: using the hub's embedded Redis at {url}")
    return url.rsplit("/", 1)[0]


def postgres_url(keep: list[object]) -> str:
    if os.environ.get("HUB_TEST_POSTGRES_URL"):
        return os.environ["HUB_TEST_POSTGRES_URL"]
    if reachable("127.0.0.1", 5432):
        return DEFAULT_PG
    if os.environ.get("CI") == "true":
        sys.exit("CI: PostgreSQL is not running on 127.0.0.1:5432 (.ci/run starts it); refusing to skip the PostgreSQL pass")
    import pgserver  # embedded PostgreSQL for machines without one

    server = pgserver.get_server(tempfile.mkdtemp(prefix="hub-pg-"), cleanup_mode="delete")
    keep.append(server)
    print("no PostgreSQL on 127.0.0.1:5432: using an embedded PostgreSQL (pgserver)")
    return server.get_uri()


def run(label: str, env: dict[str, str], args: list[str]) -> int:
    print(f"\n===== {label} =====", flush=True)
    return subprocess.call([sys.executable, "-m", "pytest", *args], cwd=ROOT, env={**os.environ, **env})


def main() -> int:
    keep: list[object] = []
    base = redis_base()
    args = sys.argv[1:] or ["-q", "-p", "no:cacheprovider"]
    postgres = postgres_url(keep)
    # The SQLite pass also knows the PostgreSQL, for the few tests about PostgreSQL itself (tests/cli/test_startup.py)
    results = {
        "SQLite": run("SQLite + Redis", {"HUB_TEST_DATABASE_URL": "", "HUB_TEST_REDIS_URL": f"{base}/11",
                                         "HUB_TEST_POSTGRES_URL": postgres}, args),
        "PostgreSQL": run("PostgreSQL + Redis",
                          {"HUB_TEST_DATABASE_URL": postgres, "HUB_TEST_REDIS_URL": f"{base}/12"}, args),
    }
    for label, code in results.items():
        print(f"{label}: {'passed' if code == 0 else f'FAILED (pytest exit {code})'}")
    return 0 if all(code == 0 for code in results.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
