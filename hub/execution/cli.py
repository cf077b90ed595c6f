"""`hub custody verify <delivery_id>`: re-verify a delivery's event chain, status and POD files from the command line.
Exit code 0 when everything verifies, 1 when a link is broken (named), 2 when there is no such delivery."""

from __future__ import annotations

import json
import sys

import click

from hub.db.media import media_store
from hub.db.models import Delivery
from hub.execution.custody import verify_custody
from hub.runtime import cli_runtime


@click.group(help="Chain of custody: re-verify what was recorded about a delivery.")
def custody_group() -> None:
    pass


@custody_group.command("verify", help="Recompute the hash chain (up to the newest event the delivery row names), "
                       "check the delivery's status against its events and every POD file's SHA-256; name the first "
                       "broken link. Exit 1 when anything was changed after it was recorded.")
@click.argument("delivery_id")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def verify(delivery_id: str, as_json: bool) -> None:
    runtime = cli_runtime()
    with runtime.sessions() as session:
        delivery = session.get(Delivery, delivery_id)
        if delivery is None:
            click.echo(f"no delivery with id {delivery_id!r}", err=True)
            sys.exit(2)
        report = verify_custody(session, media_store(runtime.config), delivery)
    if as_json:
        click.echo(json.dumps(report.as_dict(), indent=2))
    else:
        files = sum(1 for m in report.media if m.stored_by_hub)
        click.echo(f"delivery {delivery_id}: {report.chain.checked} events, {files} stored files checked")
        broken = report.first_broken
        if broken is None:
            click.echo("OK: the event chain, the delivery's status and every file verify")
        else:
            what = {"media": f"file {broken.get('media_id')} of event {broken['sequence']}",
                    "status": "the delivery's status"}.get(broken["kind"], f"event {broken['sequence']}")
            click.echo(f"BROKEN at sequence {broken['sequence']}: {what}: {broken['reason']}")
        for gap in report.gaps:
            click.echo(f"custody gap at sequence {gap['sequence']}: handed over by {gap['from']}, "
                       f"but last held by {gap['expected_from']}")
    sys.exit(0 if report.ok else 1)
