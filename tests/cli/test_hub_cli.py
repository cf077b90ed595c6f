"""The `hub` command line: init, connectors, install, and clear errors for bad input."""

from __future__ import annotations

import json

from click.testing import CliRunner

from hub.cli import main


def test_init_prints_a_working_admin_key_once(clean, client):
    runner = CliRunner()
    result = runner.invoke(main, ["init", "--tenant", "acme", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["tenant"] == "acme" and data["admin_api_key"].startswith("hub_adm_")
    assert client.get("/api/v1/deliveries", headers={"Authorization": f"Bearer {data['admin_api_key']}"}).status_code == 200
    again = runner.invoke(main, ["init", "--tenant", "acme"])
    assert again.exit_code != 0 and "already exists" in again.output
    bad = runner.invoke(main, ["init", "--tenant", "Not A Name"])
    assert bad.exit_code != 0 and "not valid" in bad.output


def test_connectors_lists_entry_points(clean):
    result = CliRunner().invoke(main, ["connectors", "--json"])
    assert result.exit_code == 0, result.output
    listing = json.loads(result.output[result.output.index("{"):])
    ids = {c["id"] for c in listing["connectors"]}
    assert "acme_orders" in ids  # the example third-party package, found through its entry point
    acme = next(c for c in listing["connectors"] if c["id"] == "acme_orders")
    assert acme["kind"] == "source" and "receive_webhook" in acme["capabilities"]


def test_install_validates_settings_and_prints_the_inbound_url(clean, tenant):
    runner = CliRunner()
    missing = runner.invoke(main, ["install", "acme_orders", "--tenant", tenant["name"], "--set", "default_country=DE"])
    assert missing.exit_code != 0 and "webhook_secret" in missing.output
    bad_pair = runner.invoke(main, ["install", "acme_orders", "--tenant", tenant["name"], "--set", "novalue"])
    assert bad_pair.exit_code != 0 and "key=value" in bad_pair.output
    no_tenant = runner.invoke(main, ["install", "acme_orders", "--tenant", "ghost", "--set", "a=b"])
    assert no_tenant.exit_code != 0 and "hub init --tenant ghost" in no_tenant.output
    ok = runner.invoke(main, ["install", "acme_orders", "--tenant", tenant["name"], "--json",
                              "--set", "webhook_secret=acme-webhook-secret-0123456789", "--set", "default_country=DE"])
    assert ok.exit_code == 0, ok.output
    data = json.loads(ok.output[ok.output.index("{"):])
    assert data["inbound_url"] == f"http://hub.test/hooks/{data['id']}"
    assert "acme-webhook-secret" not in ok.output  # secrets are never printed


def test_version_prints_the_package_version():
    from hub import __version__

    result = CliRunner().invoke(main, ["--version"])
    assert result.exit_code == 0 and result.output.strip() == f"hub, version {__version__}"


def test_every_json_option_says_what_it_prints():
    import click

    def commands(group: click.Command, path: str):
        yield path, group
        for name, sub in getattr(group, "commands", {}).items():
            yield from commands(sub, f"{path} {name}")

    silent = [path for path, command in commands(main, "hub") for option in command.params
              if "--json" in getattr(option, "opts", ()) and not option.help]
    assert not silent, f"--json without help text on: {', '.join(silent)}"


def test_redis_stop_stops_the_hubs_own_redis_and_only_that(tmp_path, monkeypatch):
    from hub.embedded_redis import _alive, ensure_embedded_redis

    monkeypatch.setenv("HUB_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("HUB_REDIS_URL", raising=False)
    url = ensure_embedded_redis(tmp_path)
    assert _alive(url)
    stopped = CliRunner().invoke(main, ["redis", "stop"])
    assert stopped.exit_code == 0 and "Stopped the hub's own Redis" in stopped.output
    assert not _alive(url)
    again = CliRunner().invoke(main, ["redis", "stop"])
    assert again.exit_code == 0 and "No Redis of the hub's own is running" in again.output
    monkeypatch.setenv("HUB_REDIS_URL", "redis://127.0.0.1:6379/4")
    external = CliRunner().invoke(main, ["redis", "stop"])
    assert external.exit_code == 0 and "not the hub's to stop" in external.output


def test_serve_on_another_address_says_which_public_url_it_hands_out(monkeypatch):
    import click

    import hub.cli
    from hub.cli import public_url_notice

    assert public_url_notice("127.0.0.1", 8000, {}) is None  # the default address: the URLs match it
    assert public_url_notice("127.0.0.1", 8001, {"HUB_PUBLIC_URL": "https://hub.example.com"}) is None
    notice = public_url_notice("0.0.0.0", 8001, {})
    assert "HUB_PUBLIC_URL=http://127.0.0.1:8000" in notice and "not http://0.0.0.0:8001" in notice

    def stop_here() -> None:
        raise click.ClickException("stopped before serving")

    monkeypatch.setattr(hub.cli, "_wait_for_dependencies", stop_here)
    monkeypatch.delenv("HUB_PUBLIC_URL", raising=False)
    result = CliRunner().invoke(main, ["serve", "--port", "8001"])
    assert result.exit_code != 0 and "HUB_PUBLIC_URL=http://127.0.0.1:8000" in result.output
