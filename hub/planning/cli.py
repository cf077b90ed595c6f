"""`hub route show PLAN_ID [--png FILE] [--json]` and `hub route plan --tenant T --depot D --date YYYY-MM-DD`.

Registered on hub/routing/cli.py's route_group by hub/cli.py (_register_optional_groups).
"""

from __future__ import annotations

import json
from datetime import date

import click

from hub.ledger.tenants import get_tenant_by_name
from hub.planning import service
from hub.planning.days import plan_depot_day
from hub.planning.report import print_plan
from hub.runtime import cli_runtime



@click.command("show")
@click.argument("plan_id")
@click.option("--png", "png", metavar="FILE", type=click.Path(dir_okay=False), help="Also draw the plan to FILE.")
@click.option("--json", "as_json", is_flag=True, help="The plan as the API returns it.")
def show_command(plan_id: str, png: str | None, as_json: bool) -> None:
    """Show a stored route plan (and draw it with --png)."""
    with cli_runtime().sessions() as session:
        try:
            row = service.get_plan(session, plan_id)
        except service.PlanError as exc:
            raise click.ClickException(exc.message) from None
        view = service.detail(session, row)
        if png:
            service.render(row, png)
    if as_json:
        click.echo(json.dumps(view, indent=2, default=str))
    else:
        print_plan(view)
    if png:
        click.echo(f"wrote {png}", err=as_json)


@click.command("plan")
@click.option("--tenant", required=True, help="Tenant name.")
@click.option("--depot", "depot_id", required=True, help="Depot id.")
@click.option("--date", "day", required=True, type=click.DateTime(formats=["%Y-%m-%d"]), help="YYYY-MM-DD.")
@click.option("--time-limit", type=click.FloatRange(min=0.1, max=300), default=None,
              help="Seconds (default: the tenant's routing.time_limit_s, else 10).")
@click.option("--json", "as_json", is_flag=True, help="The stored plan as the API returns it.")
def plan_command(tenant: str, depot_id: str, day: date, time_limit: float | None, as_json: bool) -> None:
    """Plan (or re-plan) a depot's day now, in this process, and store it as the next version."""
    runtime = cli_runtime()
    with runtime.sessions() as session:
        row = get_tenant_by_name(session, tenant)
        if row is None:
            raise click.ClickException(f"no tenant named {tenant!r}")
        tenant_id = row.id
    try:
        result = plan_depot_day(tenant_id, depot_id, day.date().isoformat(), time_limit, "cli", wait_s=10)
    except LookupError as exc:
        raise click.ClickException(str(exc)) from None
    if result["status"] != "planned":
        raise click.ClickException(f"nothing stored: {result['status']}")
    with runtime.sessions() as session:
        view = service.detail(session, service.get_plan(session, result["plan_id"]))
    if as_json:
        click.echo(json.dumps(view, indent=2, default=str))
    else:
        print_plan(view)
