"""What hub/ledger/events.py relies on to write a delivery's head in the statement that writes the delivery anyway:
the unit of work saves mappers in the order of their names (module.Class; the hub declares no relationship() that
would order them), so a new delivery is inserted before its first event and its tracking link, and an event before
the webhook rows that point at it. And the statements that saves: no UPDATE of the head after a new delivery's
INSERT, and one UPDATE for a status change and the event that follows it. And the locked read of a delivery says
whether its tenant has webhook subscriptions, so a tenant without needs no query for them."""

from __future__ import annotations

from datetime import timedelta
from typing import Any, Iterator

import pytest
from sqlalchemy import event, select

from hub.db.engine import transaction
from hub.db.models import Delivery, DeliveryEvent, OutboxItem, utcnow
from hub.db.models.customer import TrackingLink
from hub.db.models.webhooks import WebhookDelivery, WebhookPayload
from hub.ledger.deliveries import Source, change_status, upsert_delivery
from hub.ledger.events import append_event, load_chain, lock_delivery, verify_chain
from hub.runtime import Runtime
from hub.webhooks.service import create_subscription


def sort_key(model: type) -> str:
    return model.__mapper__._sort_key  # type: ignore[attr-defined,no-any-return]


def test_parents_sort_before_the_rows_that_point_at_them() -> None:
    assert sort_key(Delivery) < sort_key(DeliveryEvent) < sort_key(OutboxItem)
    assert sort_key(Delivery) < sort_key(TrackingLink)
    assert sort_key(DeliveryEvent) < sort_key(WebhookPayload) and sort_key(DeliveryEvent) < sort_key(WebhookDelivery)


@pytest.fixture
def statements(clean: Runtime) -> Iterator[list[str]]:
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        seen.append(" ".join(statement.split()[:3]))

    event.listen(clean.engine, "before_cursor_execute", record)
    yield seen
    event.remove(clean.engine, "before_cursor_execute", record)


def content(external_id: str) -> dict[str, Any]:
    return {"source": {"external_id": external_id}, "dropoff": {"address": {"line1": "Alexanderplatz 1",
                                                                            "city": "Berlin", "country": "DE"}}}


def test_a_new_delivery_is_inserted_with_its_head_before_its_event_and_link(
        clean: Runtime, tenant: dict[str, Any], statements: list[str]) -> None:
    with transaction(clean.sessions) as session:
        created = upsert_delivery(session, tenant_id=tenant["id"], source=Source("api", "api"),
                                  content=content("flush-1"), actor={"kind": "integration", "id": "t"}, existing=None)
        session.flush()
        delivery_id = created.delivery.id
    writes = [s for s in statements if s.startswith(("INSERT", "UPDATE"))]
    assert writes.index("INSERT INTO deliveries") < writes.index("INSERT INTO delivery_events")
    assert writes.index("INSERT INTO deliveries") < writes.index("INSERT INTO tracking_links")
    assert not [s for s in writes if s == "UPDATE deliveries SET"]  # the head went in with the INSERT
    with clean.sessions() as session:
        events, head = load_chain(session, delivery_id)
        assert verify_chain(events, head).ok and head.sequence == 1


def test_a_status_change_and_the_event_after_it_update_the_delivery_once(
        clean: Runtime, tenant: dict[str, Any], statements: list[str]) -> None:
    with transaction(clean.sessions) as session:
        delivery = upsert_delivery(session, tenant_id=tenant["id"], source=Source("api", "api"),
                                   content=content("flush-2"), actor={"kind": "integration", "id": "t"},
                                   existing=None).delivery
    statements.clear()
    with transaction(clean.sessions) as session:
        delivery = lock_delivery(session, delivery.id)  # as assignment and dispatch read it
        change_status(session, delivery, "needs_attention", actor={"kind": "system", "id": "hub"}, reason="test")
        append_event(session, delivery, "delivery.assignment_failed", {"reason": "test"})
    assert [s for s in statements if s == "UPDATE deliveries SET"] == ["UPDATE deliveries SET"]
    with clean.sessions() as session:
        events, head = load_chain(session, delivery.id)
        assert verify_chain(events, head).ok and head.sequence == 3 and head.status == "needs_attention"


@pytest.mark.parametrize("subscribed", [False, True])
def test_the_locked_read_says_whether_events_fan_out_to_subscribers(
        clean: Runtime, tenant: dict[str, Any], statements: list[str], subscribed: bool) -> None:
    with transaction(clean.sessions) as session:
        if subscribed:
            create_subscription(session, tenant["id"], {"url": "http://127.0.0.1:9/hooks", "event_types": ["*"]},
                                allow_private=True)
        delivery = upsert_delivery(session, tenant_id=tenant["id"], source=Source("api", "api"),
                                   content=content(f"flush-sub-{subscribed}"), actor={"kind": "integration", "id": "t"},
                                   existing=None).delivery
    statements.clear()
    with transaction(clean.sessions) as session:
        delivery = lock_delivery(session, delivery.id)
        change_status(session, delivery, "needs_attention", actor={"kind": "system", "id": "hub"}, reason="test")
    asked = [s for s in statements if s.startswith("SELECT webhook_subscriptions")]
    assert len(asked) == (1 if subscribed else 0)  # a tenant without subscriptions: known from the lock, no query
    assert not [s for s in statements if s.startswith("SELECT tenants")]  # read with the delivery: its settings
    assert not [s for s in statements if s.startswith("SELECT outbox")]  # and its waiting analytics row
    with clean.sessions() as session:
        analytics = session.execute(select(OutboxItem).where(OutboxItem.dedupe_key == f"analytics:{delivery.id}"))
        assert len(analytics.scalars().all()) == 1  # the created event's row waited: the status change added none
        rows = session.execute(select(WebhookDelivery).where(WebhookDelivery.delivery_id == delivery.id)).scalars()
        expected = {"delivery.created", "delivery.status_changed"} if subscribed else set()
        assert {row.event_type for row in rows} == expected


def test_a_claimed_analytics_row_no_longer_waits_so_the_status_change_adds_one(
        clean: Runtime, tenant: dict[str, Any]) -> None:
    with transaction(clean.sessions) as session:
        delivery = upsert_delivery(session, tenant_id=tenant["id"], source=Source("api", "api"),
                                   content=content("flush-claimed"), actor={"kind": "integration", "id": "t"},
                                   existing=None).delivery
    with transaction(clean.sessions) as session:  # a worker is running it now
        row = session.execute(select(OutboxItem).where(OutboxItem.dedupe_key == f"analytics:{delivery.id}")).scalar_one()
        row.claimed_by, row.lease_until = "another-worker", utcnow() + timedelta(minutes=1)
    with transaction(clean.sessions) as session:
        delivery = lock_delivery(session, delivery.id)
        change_status(session, delivery, "needs_attention", actor={"kind": "system", "id": "hub"}, reason="test")
    with clean.sessions() as session:
        rows = session.execute(select(OutboxItem).where(OutboxItem.dedupe_key == f"analytics:{delivery.id}"))
        assert sorted(r.claimed_by or "" for r in rows.scalars()) == ["", "another-worker"]  # a new one waits
