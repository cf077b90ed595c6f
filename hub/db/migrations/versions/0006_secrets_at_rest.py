"""secrets at rest: encrypt installation settings and state and webhook subscription secrets

The subscription secrets become TEXT (a Fernet token is longer than the 100 characters a secret needed),
then every value still stored in clear is encrypted with the current HUB_SECRET_KEY (hub.db.encryption).
Values already encrypted are left as they are, so running it over a partly written table is safe.
Downgrade decrypts everything back into clear text.

Revision ID: 0006_secrets_at_rest
Revises: 0002_webhooks
Create Date: 2026-11-25
"""
from __future__ import annotations

from typing import Any, Callable

import sqlalchemy as sa
from alembic import context, op
from sqlalchemy.dialects import postgresql

from hub.config import Config
from hub.db.encryption import ALEMBIC_ATTRIBUTE, Keyring, is_token

revision = "0006_secrets_at_rest"
down_revision = "0002_webhooks"  # installations come from 0001, its ancestor; the other branches hold no secrets
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")

installations = sa.table("installations", sa.column("id", sa.String), sa.column("settings", JSON),
                         sa.column("state", JSON))
subscriptions = sa.table("webhook_subscriptions", sa.column("id", sa.String), sa.column("secret", sa.Text),
                         sa.column("previous_secret", sa.Text))


def _keyring() -> Keyring:
    given = context.config.attributes.get(ALEMBIC_ATTRIBUTE)  # the runtime's, when build_runtime migrates
    if given is not None:
        return given  # type: ignore[no-any-return]

    return Keyring.from_config(Config.from_env())


def _rewrite(table: sa.TableClause, columns: tuple[str, ...], convert: Callable[[Any], Any]) -> None:
    """Apply `convert` to every non-null value of `columns`, row by row, writing only what changed."""
    bind = op.get_bind()
    rows = bind.execute(sa.select(table.c.id, *(table.c[name] for name in columns))).all()
    for row in rows:
        changes = {}
        for name in columns:
            value = getattr(row, name)
            if value is not None and (new := convert(value)) != value:
                changes[name] = new
        if changes:
            bind.execute(table.update().where(table.c.id == row.id).values(**changes))


def _retype_secrets(type_: sa.types.TypeEngine[Any], existing: sa.types.TypeEngine[Any]) -> None:
    with op.batch_alter_table("webhook_subscriptions") as batch:
        batch.alter_column("secret", type_=type_, existing_type=existing, existing_nullable=False)
        batch.alter_column("previous_secret", type_=type_, existing_type=existing, existing_nullable=True)


def upgrade() -> None:
    keyring = _keyring()
    _retype_secrets(sa.Text(), sa.String(length=100))
    _rewrite(installations, ("settings", "state"),
             lambda v: v if isinstance(v, str) and is_token(v) else keyring.encrypt_json(v))
    _rewrite(subscriptions, ("secret", "previous_secret"), lambda v: v if is_token(v) else keyring.encrypt(v))


def downgrade() -> None:
    keyring = _keyring()
    _rewrite(installations, ("settings", "state"), keyring.decrypt_json)
    _rewrite(subscriptions, ("secret", "previous_secret"), keyring.decrypt)
    _retype_secrets(sa.String(length=100), sa.Text())
