"""`hub notify preview TEMPLATE --delivery ID`: a customer message rendered for a real delivery, to stdout, with
the tenant's settings and template overrides; nothing is stored or sent."""

from __future__ import annotations

import click

from hub.db.models import Delivery, utcnow
from hub.notify.context import Links
from hub.notify.messages import preview
from hub.notify.planner import latest_eta
from hub.notify.settings import load_settings_for
from hub.notify.templates import LANGUAGES
from hub.notify.triggers import CHANNELS, TRIGGERS
from hub.runtime import cli_runtime


@click.group("notify", help="Messages to customers (email, SMS): see what a trigger sends.")
def notify_group() -> None:
    pass


@notify_group.command("preview", help="Render one message (TEMPLATE is its trigger: " + ", ".join(TRIGGERS) +
                      ") for a delivery, as it would be sent now, to stdout. Nothing is stored or sent.")
@click.argument("template", type=click.Choice(TRIGGERS))
@click.option("--delivery", "delivery_id", required=True, help="The delivery's id (dlv_...).")
@click.option("--channel", type=click.Choice(CHANNELS), default="email", show_default=True)
@click.option("--language", type=click.Choice(LANGUAGES), default=None,
              help="Default: the customer's (from the delivery's country and the tenant's settings).")
@click.option("--html", "as_html", is_flag=True, help="Email: print the HTML part instead of the text.")
def preview_command(template: str, delivery_id: str, channel: str, language: str | None, as_html: bool) -> None:
    runtime = cli_runtime()
    with runtime.sessions() as session:
        delivery = session.get(Delivery, delivery_id)
        if delivery is None:
            raise click.ClickException(f"no delivery with id {delivery_id!r}")
        settings = load_settings_for(session, delivery.tenant_id, with_secrets=False)
        rendered = preview(session, Links(runtime.config.public_url, runtime.config.secret_key), settings, delivery,
                           trigger=template, channel=channel, language=language, now=utcnow(),
                           eta=latest_eta(session, delivery.id))
        session.rollback()  # a delivery made before tracking links gets one only when a message is really sent
    if channel == "sms":
        click.echo(rendered.text)
    elif as_html:
        click.echo(rendered.html)
    else:
        click.echo(f"Subject: {rendered.subject}\n\n{rendered.text}")
