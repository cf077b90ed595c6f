"""Starting before the database or Redis is up: one line per change, never a traceback, and the hub starts
once they are back. Real sockets throughout: a closed local port stands for the dependency that is down,
and a small TCP relay opened later on that same port, to the test's real PostgreSQL or Redis, is it
coming back."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Callable, Iterator
from urllib.parse import urlsplit

import pytest
import requests

from hub.config import Config
from hub.embedded_redis import _free_port
from hub.errors import ConfigurationError
from hub.startup import DependenciesUnavailable, redact_url, wait_for_dependencies

# Seconds a `hub serve` subprocess gets to print its first line (imports and one refused connect: ~1 s).
FIRST_LINE_TIMEOUT_S = 15


class Relay:
    """A TCP relay from 127.0.0.1:`port` to `target`: the dependency answering on its old address again."""

    def __init__(self, port: int, target: tuple[str, int]) -> None:
        self.target = target
        self.listener = socket.create_server(("127.0.0.1", port))
        self.sockets: list[socket.socket] = [self.listener]
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:  # closed
                return
            upstream = socket.create_connection(self.target)
            self.sockets += [client, upstream]
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(source, sink), daemon=True).start()

    @staticmethod
    def _pump(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (source, sink):
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def close(self) -> None:
        for sock in self.sockets:
            sock.close()


def host_port(url: str) -> tuple[str, int]:
    parts = urlsplit(url)
    return parts.hostname or "127.0.0.1", parts.port or {"redis": 6379}.get(parts.scheme, 5432)


def on_port(url: str, port: int) -> str:
    """`url` with its port replaced."""
    parts = urlsplit(url)
    userinfo = parts.netloc.rpartition("@")[0]
    return parts._replace(netloc=f"{userinfo + '@' if userinfo else ''}127.0.0.1:{port}").geturl()


@pytest.fixture
def postgres_url(hub_env: dict[str, str]) -> str:
    # scripts/run_tests.py names its PostgreSQL in both passes, so these run on the SQLite pass too
    url = hub_env["HUB_DATABASE_URL"]
    if not url.startswith("postgresql"):
        url = os.environ.get("HUB_TEST_POSTGRES_URL", "")
    if not url.startswith("postgresql"):
        pytest.skip("needs PostgreSQL: set HUB_TEST_POSTGRES_URL or HUB_TEST_DATABASE_URL=postgresql://...")
    return url


@pytest.fixture
def relays() -> Iterator[list[Relay]]:
    opened: list[Relay] = []
    yield opened
    for relay in opened:
        relay.close()


def config(tmp_path: Path, **urls: str | None) -> Config:
    return Config.from_env({"HUB_DATA_DIR": str(tmp_path)}, **urls)


def comes_back_after(calls: int, port: int, target: tuple[str, int], relays: list[Relay],
                     delays: list[float]) -> Callable[[float], None]:
    """A fake sleep that records its delays and, at its `calls`-th call, opens the relay on `port`."""
    def sleep(seconds: float) -> None:
        delays.append(seconds)
        if len(delays) == calls:
            relays.append(Relay(port, target))
    return sleep


# ---- wait_for_dependencies -------------------------------------------------------------------------------

def test_an_unreachable_database_is_one_line_with_backoff_until_giving_up(tmp_path):
    url = f"postgresql://postgres:s3cret@127.0.0.1:{_free_port()}/x"
    lines: list[str] = []
    delays: list[float] = []
    with pytest.raises(DependenciesUnavailable, match="the database"):
        wait_for_dependencies(config(tmp_path, database_url=url), log=lines.append, sleep=delays.append,
                              give_up_after_s=100)
    assert len(lines) == 1, lines
    assert "is unreachable (connection refused); waiting for it, retrying every 1-5 s" in lines[0]
    assert "s3cret" not in lines[0] and "postgres:***@127.0.0.1" in lines[0]
    assert delays[:5] == [1, 2, 4, 5, 5]  # doubling, capped at 5 s
    assert sum(delays) == pytest.approx(100, abs=1)  # the last wait is cut to the give-up time


def test_a_database_that_comes_back(tmp_path, postgres_url, relays):
    port = _free_port()
    lines: list[str] = []
    delays: list[float] = []
    sleep = comes_back_after(3, port, host_port(postgres_url), relays, delays)
    wait_for_dependencies(config(tmp_path, database_url=on_port(postgres_url, port)), log=lines.append, sleep=sleep)
    assert len(lines) == 2, lines
    assert f"the database at {redact_url(on_port(postgres_url, port))} is unreachable (connection refused)" in lines[0]
    assert lines[1] == "hub: the database is reachable again"
    assert delays == [1, 2, 4]


def test_redis_that_comes_back(tmp_path, hub_env, relays):
    port = _free_port()
    lines: list[str] = []
    delays: list[float] = []
    sleep = comes_back_after(2, port, host_port(hub_env["HUB_REDIS_URL"]), relays, delays)
    url = on_port(hub_env["HUB_REDIS_URL"], port)
    wait_for_dependencies(config(tmp_path, redis_url=url), log=lines.append, sleep=sleep)
    assert lines == [f"hub: Redis at {redact_url(url)} is unreachable (connection refused); waiting for it, "
                     "retrying every 1-5 s", "hub: Redis is reachable again"]
    assert delays == [1, 2]


def test_without_a_redis_url_only_the_database_is_checked(tmp_path):
    lines: list[str] = []
    wait_for_dependencies(config(tmp_path), log=lines.append, sleep=pytest.fail)  # SQLite, embedded Redis
    assert lines == []


def test_a_database_server_that_refuses_the_url_stops_the_start_at_once(tmp_path, postgres_url):
    lines: list[str] = []
    missing = postgres_url.rsplit("/", 1)[0] + "/no_such_database_here"
    refused = 'database "no_such_database_here" does not exist; check HUB_DATABASE_URL'
    with pytest.raises(ConfigurationError, match=refused):
        wait_for_dependencies(config(tmp_path, database_url=missing), log=lines.append, sleep=pytest.fail)
    assert lines == []


def test_a_redis_that_refuses_the_url_or_an_unknown_scheme_stops_the_start_at_once(tmp_path, hub_env):
    lines: list[str] = []
    bad_db_number = hub_env["HUB_REDIS_URL"].rsplit("/", 1)[0] + "/999"
    with pytest.raises(ConfigurationError, match="DB index is out of range; check HUB_REDIS_URL"):
        wait_for_dependencies(config(tmp_path, redis_url=bad_db_number), log=lines.append, sleep=pytest.fail)
    with pytest.raises(ConfigurationError, match="is not one the hub can use"):
        wait_for_dependencies(config(tmp_path, database_url="nosuchdb://h/x"), log=lines.append, sleep=pytest.fail)
    assert lines == []


@pytest.mark.parametrize(("url", "shown"), [
    ("postgresql://hub:pa:ss@db:5432/hub", "postgresql://hub:***@db:5432/hub"),
    ("postgresql://hub@db/hub?password=pw&sslmode=require", "postgresql://hub@db/hub?password=***&sslmode=require"),
    ("redis://:pw@cache:6379/0", "redis://:***@cache:6379/0"),
    ("redis://cache:6379/0", "redis://cache:6379/0"),
    ("sqlite:////var/hub.db", "sqlite:////var/hub.db"),
])
def test_passwords_are_hidden_in_printed_urls(url, shown):
    assert redact_url(url) == shown


# ---- hub serve ---------------------------------------------------------------------------------------------

def start_serve(env: dict[str, str], port: int, log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:
        return subprocess.Popen([sys.executable, "-m", "hub.cli", "serve", "--port", str(port)], env=env,
                                stdout=out, stderr=subprocess.STDOUT, start_new_session=True)


def wait_for_output(log: Path, text: str, process: subprocess.Popen[bytes], timeout_s: float) -> str:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        output = log.read_text()
        if text in output:
            return output
        assert process.poll() is None, f"hub serve exited with {process.returncode}:\n{output[-3000:]}"
        time.sleep(0.1)
    pytest.fail(f"hub serve did not print {text!r} within {timeout_s} s:\n{log.read_text()[-3000:]}")


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def test_serve_with_the_database_down_prints_one_line_and_no_traceback(hub_env, tmp_path):
    closed = _free_port()
    env = {**os.environ, **hub_env, "HUB_DATABASE_URL": f"postgresql://postgres:s3cret@127.0.0.1:{closed}/x",
           "HUB_DATA_DIR": str(tmp_path / "data")}
    log = tmp_path / "serve.log"
    serve = start_serve(env, _free_port(), log)
    try:
        wait_for_output(log, "unreachable", serve, FIRST_LINE_TIMEOUT_S)
        time.sleep(3.5)  # two more attempts (after 1 s and 2 s), which must print nothing
        output = log.read_text()
        assert serve.poll() is None, output  # still waiting, not crashed
    finally:
        stop(serve)
    assert output.count("unreachable") == 1, output
    assert output.strip().splitlines() == [f"hub: the database at postgresql://postgres:***@127.0.0.1:{closed}/x is "
                                           "unreachable (connection refused); waiting for it, retrying every 1-5 s"]


def test_serve_starts_once_the_database_is_back(hub_env, postgres_url, relays, tmp_path):
    port, web_port = _free_port(), _free_port()
    env = {**os.environ, **hub_env, "HUB_DATABASE_URL": on_port(postgres_url, port),
           "HUB_DATA_DIR": str(tmp_path / "data")}
    log = tmp_path / "serve.log"
    serve = start_serve(env, web_port, log)
    try:
        wait_for_output(log, "unreachable", serve, FIRST_LINE_TIMEOUT_S)
        relays.append(Relay(port, host_port(postgres_url)))
        wait_for_output(log, "hub: the database is reachable again", serve, 30)  # next retry within 2 s
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if requests.get(f"http://127.0.0.1:{web_port}/healthz", timeout=2).status_code == 200:
                    break
            except (requests.ConnectionError, requests.Timeout):  # still booting
                assert serve.poll() is None, log.read_text()[-3000:]
                time.sleep(0.2)
        else:
            pytest.fail(f"hub serve did not answer /healthz once the database was back:\n{log.read_text()[-3000:]}")
    finally:
        stop(serve)
    assert "Traceback" not in log.read_text()


def test_serve_with_a_configuration_error_prints_one_line_and_exits(hub_env, tmp_path):
    env = {**os.environ, **hub_env, "HUB_MEDIA_STORE": "no-such-store", "HUB_DATA_DIR": str(tmp_path / "data")}
    result = subprocess.run([sys.executable, "-m", "hub.cli", "serve", "--port", str(_free_port())], env=env,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode != 0
    assert result.stdout == "" and "Traceback" not in result.stderr
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith("Error: HUB_MEDIA_STORE='no-such-store' is not a known media store; known: filesystem")
