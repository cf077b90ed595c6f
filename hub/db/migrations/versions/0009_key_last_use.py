"""key last use: when each API key last authenticated a request

Adds api_keys.last_used_at, which hub.ledger.keys.record_use writes (at most once a minute per key), so an
admin can tell a key still in use from one that can be revoked (`hub keys list`, GET /api/v1/keys).
Keys that existed before keep NULL ("never seen since").

Revision ID: 0009_key_last_use
Revises: 0008_work_ledger
Create Date: 2026-12-06
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009_key_last_use"
down_revision = "0008_work_ledger"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("api_keys") as batch:
        batch.add_column(sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("api_keys") as batch:
        batch.drop_column("last_used_at")
