"""`hub connector ...`: commands for connector authors (registered on the `hub` command by hub/cli.py)."""

from __future__ import annotations

from pathlib import Path

import click

from hub.plugins.scaffold import ScaffoldError, Skeleton, check_name, write_skeleton


@click.group("connector", help="For connector authors: start a new connector package.")
def connector_group() -> None:
    pass


@connector_group.command("new", help="Write a working connector package for NAME (a lowercase id such as acme): "
                         "pyproject with the entry point, spec, settings, webhooks, mapping with one golden case, and "
                         "the contract kit's test. `pip install -e DIR` and it is listed by `hub connectors` and passes "
                         "`pytest` as generated.")
@click.argument("name")
@click.option("--dir", "directory", type=click.Path(path_type=Path), default=None,
              help="Where to write the package (must not exist). Default: ./hub-connector-NAME")
def new_command(name: str, directory: Path | None) -> None:
    try:
        check_name(name)
        target = directory if directory is not None else Path(Skeleton(name).dist)
        written = write_skeleton(name, target)
    except ScaffoldError as exc:
        raise click.ClickException(str(exc)) from None
    skeleton = Skeleton(name)
    click.echo(f"Wrote connector {name!r} ({len(written)} files) to {target}/:\n"
               f"  {skeleton.package}/   the spec, settings, webhooks and mapping\n"
               f"  tests/               the contract kit, with payloads/ (settings, golden case, a signed webhook)\n"
               f"Next:\n  pip install -e {target}\n  hub connectors\n  cd {target} && pytest")
