"""The `hub` command: init, serve, worker, status, demo, connectors, install, secrets, redis, route, bench, custody."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Mapping
from typing import Any

import click

from hub.accounts.cli import users_group
from hub.analytics.cli import analytics_group, report_command
from hub.config import DEFAULT_PUBLIC_URL, Config, ensure_secret_key_file, require_explicit_secret_key
from hub.db.encryption import Keyring, SecretKeyError, reencrypt
from hub.db.engine import transaction
from hub.embedded_redis import stop_embedded_redis
from hub.errors import ConfigurationError
from hub.execution.cli import custody_group
from hub.intake.cli import mappings_group
from hub.ledger.cli import keys_group
from hub.notify.cli import notify_group
from hub.ledger.installations import InstallationError, create_installation, register_remote_webhooks
from hub.ledger.installations import describe as describe_installation
from hub.ledger.tenants import TenantError, create_tenant, get_tenant_by_name, issue_key
from hub.outbox.status import describe as describe_work
from hub.outbox.status import work_status
from hub.planning.cli import plan_command, show_command
from hub.plugins.cli import connector_group
from hub.plugins.registry import UnknownConnector, default_registry
from hub.plugins.settings import settings_json_schema
from hub.routing.cli import bench_group, route_group
from hub.runtime import LANE_ORDER, cli_runtime
from hub.startup import wait_for_dependencies
from hub.version import __version__
from hub.worker import run_worker


def _wait_for_dependencies() -> None:
    """Long-running commands refuse a shared database without HUB_SECRET_KEY, then wait for a database or Redis
    that is not up yet (one line per change)."""
    try:
        config = Config.from_env()
        require_explicit_secret_key(config)
        wait_for_dependencies(config)
    except ConfigurationError as exc:  # a server that answers but refuses the URL: waiting would not help
        raise click.ClickException(str(exc)) from None


def public_url_notice(host: str, port: int, env: Mapping[str, str]) -> str | None:
    """One line for `hub serve` on another address while HUB_PUBLIC_URL is unset: the URLs the hub hands out
    (inbound webhooks, carrier status) are built from HUB_PUBLIC_URL in every process, workers included, so
    serve cannot quietly follow its own port."""
    served = f"http://{host}:{port}"
    if env.get("HUB_PUBLIC_URL") or served == DEFAULT_PUBLIC_URL:
        return None
    return (f"Note: inbound webhook and carrier URLs use HUB_PUBLIC_URL={DEFAULT_PUBLIC_URL} (unset, so the "
            f"default), not {served}; set HUB_PUBLIC_URL for serve and every worker to the address stores and "
            "carriers reach.")


def _emit(data: Any, as_json: bool, text: str) -> None:
    click.echo(json.dumps(data, indent=2, default=str) if as_json else text)


@click.group(help="Delivery hub: connectors, assignment, route optimization, tracking, signed webhooks.")
@click.version_option(__version__, prog_name="hub")
def main() -> None:
    pass


@main.command(help="Migrate the database, create a tenant and print its admin API key (shown once). With "
              "HUB_SECRET_KEY unset, writes a random secret key to HUB_DATA_DIR/secret_key (mode 0600) first.")
@click.option("--tenant", default="default", show_default=True, help="Tenant name (lowercase letters, digits, - or _).")
@click.option("--new-admin-key", is_flag=True, help="The tenant exists already: mint another admin key for it "
              "(e.g. the old one was lost; revoke that one with `hub keys revoke`).")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def init(tenant: str, new_admin_key: bool, as_json: bool) -> None:
    config = Config.from_env()
    secret_file = None
    if config.secret_key_from == "unset":
        try:
            path, written = ensure_secret_key_file(config.data_dir)
        except (ConfigurationError, OSError) as exc:
            raise click.ClickException(f"could not write the secret key file: {exc}") from None
        secret_file = str(path) if written else None
    runtime = cli_runtime()
    try:
        with transaction(runtime.sessions) as session:
            if new_admin_key:
                row = get_tenant_by_name(session, tenant)
                if row is None:
                    raise TenantError(f"no tenant named {tenant!r}; create it with: hub init --tenant {tenant}")
            else:
                if get_tenant_by_name(session, tenant) is not None:
                    raise TenantError(f"a tenant named {tenant!r} already exists; to get another admin key for "
                                      f"it run: hub init --tenant {tenant} --new-admin-key")
                row = create_tenant(session, tenant)
            label = "hub init --new-admin-key" if new_admin_key else "created by hub init"
            _, key = issue_key(session, row, "admin", label=label)
    except TenantError as exc:
        raise click.ClickException(str(exc)) from None
    data = {"tenant": tenant, "tenant_id": row.id, "admin_api_key": key, "database": runtime.config.database_url,
            "secret_key_file": secret_file}
    done = "has a new admin key" if new_admin_key else "is ready"
    text = f"Tenant {tenant!r} {done} ({row.id}).\nAdmin API key (shown only now, keep it safe):\n  {key}"
    if secret_file:
        text += (f"\nWrote a random secret key to {secret_file} (mode 0600): it encrypts stored secrets and signs "
                 "media links. Keep it, and back it up with the database.")
    _emit(data, as_json, text)


@main.command(help="Run the web app (use gunicorn 'hub:create_app()' in production).")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
def serve(host: str, port: int) -> None:
    notice = public_url_notice(host, port, os.environ)
    if notice:
        click.echo(notice, err=True)
    _wait_for_dependencies()
    from hub.app import create_app  # deferred: the web app (Flask, every API module) is for `serve` only

    create_app(runtime=cli_runtime()).run(host=host, port=port, threaded=True)


@main.command(help="Run a worker on every lane (ingest, assign, dispatch, webhooks, route), with a heartbeat "
              "that keeps its claims and, when elected, the sweeper. Start as many as you like, anywhere.")
@click.option("--burst", is_flag=True, help="Run every due piece of work in this process, then stop.")
@click.option("--fork", is_flag=True, help="Run each job in a forked work horse, as plain RQ does (slower; "
              "isolates a job that leaks memory).")
@click.option("--lanes", default=None, metavar="LANE,...", help="Serve only these lanes (ingest, assign, dispatch, "
              "webhooks, route). Default: all. E.g. run `--lanes route` apart so plans never hold up the others.")
def worker(burst: bool, fork: bool, lanes: str | None) -> None:
    chosen = tuple(lane.strip() for lane in lanes.split(",") if lane.strip()) if lanes else None
    unknown = sorted(set(chosen or ()) - set(LANE_ORDER))
    if unknown or chosen == ():
        raise click.BadParameter(f"unknown lane(s) {', '.join(unknown) or '(none given)'}; the lanes are "
                                 f"{', '.join(LANE_ORDER)}", param_hint="--lanes")
    _wait_for_dependencies()
    run_worker(cli_runtime(), burst=burst, fork=fork, lanes=chosen)


@main.command(help="What work is waiting, per kind (pending, claimed, retrying, dead, oldest due), how many "
              "workers are alive and who sweeps; 'quiet' when nothing is waiting. Reads the database only.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def status(as_json: bool) -> None:
    result = work_status(cli_runtime())
    _emit(result.as_dict(), as_json, describe_work(result))


@main.command(help="The main job, end to end on the embedded default (SQLite and the hub's own Redis).")
@click.option("--deliveries", default=120, show_default=True, type=click.IntRange(1, 100_000))
@click.option("--keep", is_flag=True, help="Leave the demo's Redis running afterwards (by "
              "default it is stopped). The data under HUB_DATA_DIR/demo stays either way, until the next run.")
@click.option("--history", "history_days", default=0, type=click.IntRange(0, 366), metavar="DAYS",
              help="Instead: live through DAYS past days on a moved clock (orders, routes, drivers, carriers, "
              "failures, ratings), for the analytics and the report.")
@click.option("--per-day", default=40, show_default=True, type=click.IntRange(1, 2000),
              help="Orders a day with --history.")
def demo(deliveries: int, keep: bool, history_days: int, per_day: int) -> None:
    if history_days:
        from hub.demo.history import run_history  # deferred: the demo imports the whole hub, web app included

        sys.exit(run_history(history_days, per_day))
    from hub.demo.main import run_demo  # deferred: the demo imports the whole hub, web app included

    sys.exit(run_demo(deliveries=deliveries, keep=keep))


@main.command(help="List the connectors found through entry points, and any that failed to load.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output, with each connector's settings schema.")
def connectors(as_json: bool) -> None:
    registry = default_registry()
    items = [{"id": s.id, "label": s.label, "kind": s.kind, "version": s.version,
              "capabilities": sorted(s.capabilities), "settings_schema": settings_json_schema(s)}
             for s in registry.specs()]
    failed = [{"name": f.name, "entry_point": f.value, "error": f.error} for f in registry.failures()]
    lines = [f"{i['id']:<16} {i['kind']:<10} {i['version']:<8} {', '.join(i['capabilities'])}" for i in items]
    lines += [f"FAILED {f['name']}: {f['error']}" for f in failed]
    _emit({"connectors": items, "failed": failed}, as_json, "\n".join(lines) or "no connectors installed")


def _parse_sets(pairs: tuple[str, ...]) -> dict[str, str]:
    settings: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise click.BadParameter(f"{pair!r} is not key=value", param_hint="--set")
        settings[key] = value
    return settings


@main.command(help="Install a connector for a tenant and register its webhooks at the other side.")
@click.argument("connector")
@click.option("--tenant", required=True, help="Tenant name (created by hub init).")
@click.option("--set", "sets", multiple=True, metavar="KEY=VALUE", help="A setting; repeat for each.")
@click.option("--override", "overrides", multiple=True, metavar="PATH=JMESPATH",
              help="A field override, e.g. promised_window.start=note_attributes[0].value")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output: the installation as the API returns it (secrets redacted).")
def install(connector: str, tenant: str, sets: tuple[str, ...], overrides: tuple[str, ...], as_json: bool) -> None:
    runtime = cli_runtime()
    try:
        with transaction(runtime.sessions) as session:
            row = get_tenant_by_name(session, tenant)
            if row is None:
                raise click.ClickException(f"no tenant named {tenant!r}; create it with: hub init --tenant {tenant}")
            installation, _ = create_installation(session, runtime.registry, row, connector, _parse_sets(sets),
                                                  overrides=_parse_sets(overrides))
            try:
                registered = register_remote_webhooks(runtime.registry, installation, runtime.config.public_url)
            except click.ClickException:
                raise
            except Exception as exc:  # the store refused: nothing is saved, say why
                raise click.ClickException(f"the other side refused to register webhooks: {exc}. Nothing was "
                                           "installed; check the URL and the credentials.") from None
            data = describe_installation(runtime.registry, installation, runtime.config.public_url)
    except UnknownConnector as exc:
        raise click.ClickException(f"{exc}. Run 'hub connectors' to see what is installed.") from None
    except InstallationError as exc:
        problems = "\n".join(f"  {path}: {' '.join(msgs)}" for path, msgs in sorted(exc.details.items()))
        raise click.ClickException(f"{exc}\n{problems}") from None
    hooks = "\n".join(f"  {h['topic']} -> {h['address']}" for h in registered) or "  (nothing to register)"
    _emit(data, as_json, f"Installed {connector} as {data['id']}\nInbound webhook URL: {data['inbound_url']}\n"
          f"Registered at the other side:\n{hooks}")


@main.group(help="Secrets stored in the database (encrypted with a key derived from HUB_SECRET_KEY).")
def secrets() -> None:
    pass


@secrets.command(help="Re-encrypt every stored secret with the current HUB_SECRET_KEY. Run it after a key "
                 "rotation (new HUB_SECRET_KEY, the old one in HUB_SECRET_KEY_PREVIOUS); afterwards "
                 "HUB_SECRET_KEY_PREVIOUS can be emptied.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output: rows re-encrypted per table.")
def rotate(as_json: bool) -> None:
    runtime = cli_runtime()
    try:
        counts = reencrypt(runtime.engine, Keyring.from_config(runtime.config))
    except SecretKeyError as exc:
        raise click.ClickException(f"nothing was changed: {exc}") from None
    _emit(counts, as_json, "Re-encrypted with the current HUB_SECRET_KEY: " + ", ".join(
        f"{n} row(s) of {table}" for table, n in counts.items()) + ". HUB_SECRET_KEY_PREVIOUS can now be emptied.")


@main.group("redis", help="The hub's own Redis, started under HUB_DATA_DIR/redis when HUB_REDIS_URL is unset.")
def redis_group() -> None:
    pass


@redis_group.command("stop", help="Stop the hub's own Redis under HUB_DATA_DIR (it outlives hub serve and hub worker, "
               "which share it). Stop serve and workers first. Queued work is kept in its append-only file.")
def redis_stop() -> None:
    config = Config.from_env()
    if config.redis_url:
        click.echo("HUB_REDIS_URL is set: that Redis is not the hub's to stop. Nothing was done.")
        return
    if stop_embedded_redis(config.data_dir):
        click.echo(f"Stopped the hub's own Redis under {config.data_dir / 'redis'}.")
    else:
        click.echo(f"No Redis of the hub's own is running under {config.data_dir / 'redis'}.")


# Command groups owned by the rooms they drive.
main.add_command(route_group, "route")
main.add_command(bench_group, "bench")
route_group.add_command(show_command, "show")  # stored plans (hub/planning)
route_group.add_command(plan_command, "plan")
main.add_command(custody_group, "custody")
main.add_command(mappings_group)
main.add_command(connector_group)
main.add_command(keys_group)  # hub/ledger/cli.py
main.add_command(users_group)  # hub/accounts/cli.py
main.add_command(analytics_group)  # hub/analytics/cli.py
main.add_command(report_command)
main.add_command(notify_group)  # hub/notify/cli.py

if __name__ == "__main__":
    main()
