"""deliveries.window_day: the day the customer expects a delivery, indexed for the console's day lists

The Today page read two weeks of deliveries (documents and all) to keep one day's: 30,000 rows for 2,000 at a
busy tenant (6 s). The column holds the date the first promised window starts on (in the window's own
offset), else the creation date; existing rows are filled here, in batches.

Revision ID: 0017_delivery_window_day
Revises: 0016_known_addresses
Create Date: 2026-12-07
"""
from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0017_delivery_window_day"
down_revision = "0016_known_addresses"
branch_labels = None
depends_on = None

BATCH = 5000


def _day(document: Any, created_at: Any) -> date:
    """hub.ledger.deliveries.window_day, frozen as of this revision (a migration never imports the live code)."""
    doc = json.loads(document) if isinstance(document, str) else (document or {})
    created = created_at if isinstance(created_at, datetime) else datetime.fromisoformat(str(created_at))
    start = (doc.get("promised_window") or {}).get("start")
    try:
        return datetime.fromisoformat(str(start).replace("Z", "+00:00")).date() if start else created.date()
    except ValueError:
        return created.date()


def upgrade() -> None:
    op.add_column("deliveries", sa.Column("window_day", sa.Date(), nullable=True))
    op.create_index("ix_deliveries_tenant_window_day", "deliveries", ["tenant_id", "window_day"])
    bind = op.get_bind()
    deliveries = sa.table("deliveries", sa.column("id", sa.String), sa.column("document"),
                          sa.column("created_at"), sa.column("window_day", sa.Date))
    last = ""
    while True:
        rows = bind.execute(sa.select(deliveries.c.id, deliveries.c.document, deliveries.c.created_at)
                            .where(deliveries.c.id > last).order_by(deliveries.c.id).limit(BATCH)).all()
        if not rows:
            return
        bind.execute(deliveries.update().where(deliveries.c.id == sa.bindparam("b_id"))
                     .values(window_day=sa.bindparam("b_day")),
                     [{"b_id": r.id, "b_day": _day(r.document, r.created_at)} for r in rows])
        last = rows[-1].id


def downgrade() -> None:
    op.drop_index("ix_deliveries_tenant_window_day", "deliveries")
    op.drop_column("deliveries", "window_day")
