"""`hub analytics rebuild [--tenant NAME]` and `hub report --tenant T --from D --to D [--depot D] --out DIR`.

Registered by hub/cli.py."""

from __future__ import annotations

import json
import time
from datetime import date, datetime
from pathlib import Path

import click
from sqlalchemy import select

from hub.analytics.feed import rebuild_tenant, tenant_ids
from hub.analytics.figures import Scope
from hub.db.engine import transaction
from hub.db.models import Tenant
from hub.ledger.tenants import get_tenant_by_name
from hub.runtime import cli_runtime


@click.group("analytics", help="The analytics read model (facts folded from the ledger).")
def analytics_group() -> None:
    pass


@analytics_group.command("rebuild", help="Recompute every fact from the ledger (delivery_events), tenant by tenant, "
                         "each in one transaction: the figures read the old facts until it commits.")
@click.option("--tenant", "tenant_name", help="Only this tenant (name).")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def rebuild_command(tenant_name: str | None, as_json: bool) -> None:
    runtime = cli_runtime()
    with runtime.sessions() as session:
        if tenant_name:
            tenant = get_tenant_by_name(session, tenant_name)
            if tenant is None:
                raise click.ClickException(f"no tenant named {tenant_name!r}")
            targets = [tenant.id]
        else:
            targets = tenant_ids(session)
    results = []
    for tenant_id in targets:
        started = time.perf_counter()
        with transaction(runtime.sessions) as session:
            result = rebuild_tenant(session, tenant_id)
        results.append({"tenant_id": tenant_id, "deliveries": result.deliveries, "route_days": result.routes,
                        "events": result.events, "seconds": round(time.perf_counter() - started, 2)})
    if as_json:
        click.echo(json.dumps({"tenants": results}, indent=2))
        return
    for row in results:
        click.echo(f"{row['tenant_id']}: {row['deliveries']} deliveries, {row['route_days']} route-days from "
                   f"{row['events']} events in {row['seconds']} s")
    if not results:
        click.echo("no tenants")


def _day(value: datetime | None) -> date | None:
    return value.date() if value else None


@click.command("report", help="Write the figures of a date range as DIR/index.html with charts, each chart as a PNG "
               "and each table as CSV. Reads the analytics facts; no network.")
@click.option("--tenant", "tenant_name", help="Tenant name (may be left out when there is only one).")
@click.option("--from", "start", required=True, type=click.DateTime(formats=["%Y-%m-%d"]), help="First day, YYYY-MM-DD.")
@click.option("--to", "end", required=True, type=click.DateTime(formats=["%Y-%m-%d"]), help="Last day (inclusive).")
@click.option("--depot", "depot_id", help="Only this depot (id).")
@click.option("--out", "out", required=True, type=click.Path(file_okay=False), help="Folder to write into.")
def report_command(tenant_name: str | None, start: datetime, end: datetime, depot_id: str | None, out: str) -> None:
    # matplotlib takes a second to import: only `hub report` pays for it, not every `hub` command.
    from hub.analytics.report import write_report

    if end < start:
        raise click.ClickException("--to is before --from")
    runtime = cli_runtime()
    with runtime.sessions() as session:
        if tenant_name:
            tenant = get_tenant_by_name(session, tenant_name)
            if tenant is None:
                raise click.ClickException(f"no tenant named {tenant_name!r}")
        else:
            tenants = session.execute(select(Tenant).limit(2)).scalars().all()
            if len(tenants) != 1:
                raise click.ClickException("name the tenant with --tenant")
            tenant = tenants[0]
        written = write_report(session, Scope(tenant.id, start.date(), end.date(), depot_id), tenant.name, Path(out))
    click.echo(f"wrote {written.html} with {len(written.pngs)} charts (PNG) and {len(written.csvs)} tables (CSV)")
