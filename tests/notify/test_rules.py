"""The rules: once per trigger (a unique constraint, whatever asks), quiet hours in the customer's timezone,
a provider that is down loses nothing, ETA triggers (arriving soon, delayed)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from hub.db.engine import transaction
from hub.db.models import OutboxItem
from hub.db.models.notify import CustomerMessage
from hub.outbox.relay import DEAD
from tests.notify.standins import SmtpStandIn, create_delivery, free_port, messages, move, new_eta, settings


def _configure(client, tenant, port: int, **extra):  # type: ignore[no-untyped-def]
    answer = client.put("/api/v1/settings/notifications", headers=tenant["headers"], json=settings(port, **extra))
    assert answer.status_code == 200, answer.json


def test_a_replanned_eta_sends_arriving_soon_once(client, tenant, smtp, run_jobs, clean):
    _configure(client, tenant, smtp.port, triggers={"arriving_soon": {"channels": ["email"], "minutes": 15, "stops": 0}})
    delivery_id = create_delivery(client, tenant["headers"])
    move(clean, delivery_id, "assigned", "dispatched", "in_transit")
    now = datetime.now(timezone.utc)
    for minutes in (12, 9, 14, 6):  # re-planned four times, each inside the 15 minutes
        new_eta(clean, delivery_id, now + timedelta(minutes=minutes))
        run_jobs()
    subjects = [m["Subject"] for m in smtp.wait_for(3)]
    assert subjects.count("Your delivery arrives soon") == 1
    assert [m.trigger for m in messages(clean, delivery_id)].count("arriving_soon") == 1


def test_the_database_refuses_a_second_message_for_the_same_trigger(client, tenant, smtp, run_jobs, clean):
    _configure(client, tenant, smtp.port)
    delivery_id = create_delivery(client, tenant["headers"])
    run_jobs()
    [first] = messages(clean, delivery_id)
    with pytest.raises(IntegrityError):
        with transaction(clean.sessions) as session:
            copy = {c.name: getattr(first, c.name) for c in CustomerMessage.__table__.columns}
            session.add(CustomerMessage(**{**copy, "id": "cmsg_second"}))


def test_a_new_attempt_after_a_failed_one_gets_its_own_out_for_delivery(client, tenant, smtp, run_jobs, clean):
    _configure(client, tenant, smtp.port)
    delivery_id = create_delivery(client, tenant["headers"])
    move(clean, delivery_id, "assigned", "dispatched", "in_transit")
    run_jobs()
    move(clean, delivery_id, "failed_attempt")  # the tenant's recovery policy reschedules it (hub/tracking)
    run_jobs()
    move(clean, delivery_id, "in_transit")
    run_jobs()
    sent = [(m.trigger, m.attempt) for m in messages(clean, delivery_id)]
    assert sent == [("order_confirmed", 0), ("out_for_delivery", 0), ("failed_attempt", 0), ("rescheduled", 1),
                    ("out_for_delivery", 1)]
    failed = next(m for m in smtp.wait_for(5) if m["Subject"].startswith("We missed you"))
    assert "/next" in failed.get_body(preferencelist=("plain",)).get_content()  # the reschedule link


def _quiet_now() -> dict[str, object]:
    """Quiet hours (UTC) from an hour ago to an hour from now, whatever the time the test runs."""
    now = datetime.now(timezone.utc)
    return {"start": (now - timedelta(hours=1)).strftime("%H:%M"), "end": (now + timedelta(hours=1)).strftime("%H:%M"),
            "bypass": ["delivered"]}


def test_quiet_hours_hold_a_message_until_they_end_but_not_delivered(client, tenant, smtp, run_jobs, fast_forward,
                                                                    clean):
    _configure(client, tenant, smtp.port, timezone="UTC", quiet_hours=_quiet_now())
    delivery_id = create_delivery(client, tenant["headers"])
    run_jobs()
    [held] = messages(clean, delivery_id)
    assert held.state == "pending" and held.due_at > datetime.now(timezone.utc) + timedelta(minutes=50)
    assert smtp.inbox == []
    fast_forward()  # the quiet hours end: what waited goes out
    assert [m["Subject"] for m in smtp.wait_for(1)] == ["Your order 318 is confirmed"]

    move(clean, delivery_id, "assigned", "dispatched", "in_transit")
    run_jobs()  # "out for delivery" waits for the morning ...
    move(clean, delivery_id, "delivered")
    run_jobs()  # ... "delivered" bypasses the quiet hours ...
    assert [m["Subject"] for m in smtp.wait_for(2)][1:] == ["Your order 318 was delivered"]
    fast_forward()  # ... and the held "out for delivery" is old news by morning: not sent
    assert len(smtp.inbox) == 2
    assert {m.trigger: m.state for m in messages(clean, delivery_id)} == {
        "order_confirmed": "sent", "out_for_delivery": "expired", "delivered": "sent"}


def test_quiet_hours_are_the_customers_own(clean):
    from hub.notify.quiet import customer_zone, quiet_until

    quiet = {"start": "21:00", "end": "08:00"}
    late_in_berlin = datetime(2026, 12, 6, 21, 30, tzinfo=timezone.utc)  # 22:30 in Berlin, 16:30 in Toronto
    berlin = customer_zone({}, {"promised_window": {"start": "2026-12-07T10:00:00+01:00"}})
    toronto = customer_zone({}, {"promised_window": {"start": "2026-12-07T10:00:00-05:00"}})
    assert quiet_until(late_in_berlin, berlin, quiet) == datetime(2026, 12, 7, 7, 0, tzinfo=timezone.utc)
    assert quiet_until(late_in_berlin, toronto, quiet) is None
    assert quiet_until(late_in_berlin, customer_zone({"timezone": "Europe/Berlin"}, {}), quiet) is not None


def test_smtp_down_then_up_the_message_goes_out_once(client, tenant, run_jobs, fast_forward, clean):
    port = free_port()  # nothing listens yet: the provider is down
    _configure(client, tenant, port)
    delivery_id = create_delivery(client, tenant["headers"])
    run_jobs()
    [message] = messages(clean, delivery_id)
    assert message.state == "pending"
    with clean.sessions() as session:
        [row] = session.execute(select(OutboxItem).where(OutboxItem.kind == "notify.send")).scalars().all()
        assert row.state == "pending" and row.attempts == 1 and "could not be reached" in row.last_error
    fast_forward()  # still down: another try, still nothing lost
    server = SmtpStandIn(port).start()
    try:
        fast_forward()
        fast_forward()
        assert len(server.wait_for(1)) == 1
        assert server.inbox[0]["Subject"] == "Your order 318 is confirmed"
        assert [m.state for m in messages(clean, delivery_id)] == ["sent"]
        with clean.sessions() as session:
            assert session.execute(select(OutboxItem.state).where(OutboxItem.kind == "notify.send")).scalar_one() == "done"
    finally:
        server.stop()


def test_a_permanent_refusal_ends_the_message_with_the_reason_on_the_timeline(client, tenant, run_jobs, clean):
    class Refuse:
        async def handle_RCPT(self, server, session, envelope, address, options):  # type: ignore[no-untyped-def]
            return "550 5.1.1 no such mailbox"

    from aiosmtpd.controller import Controller

    port = free_port()
    controller = Controller(Refuse(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        _configure(client, tenant, port)
        delivery_id = create_delivery(client, tenant["headers"])
        run_jobs()
    finally:
        controller.stop()
    [message] = messages(clean, delivery_id)
    assert message.state == "dead" and "refused the recipient" in message.error
    with clean.sessions() as session:
        assert session.execute(select(OutboxItem.state).where(OutboxItem.kind == "notify.send")).scalar_one() == DEAD
    events = client.get(f"/api/v1/deliveries/{delivery_id}/events", headers=tenant["headers"]).json
    items = events["items"] if isinstance(events, dict) else events
    status = [e for e in items if e["type"] == "delivery.message_status"]
    assert status and status[0]["data"]["status"] == "failed"


def test_an_eta_past_the_window_sends_delayed_once(client, tenant, smtp, run_jobs, clean):
    _configure(client, tenant, smtp.port, triggers={"arriving_soon": {"channels": []},
                                                    "delayed": {"channels": ["email"], "grace_minutes": 10}})
    delivery_id = create_delivery(client, tenant["headers"], window_hours=0.5)  # window ends in 2.5 h
    move(clean, delivery_id, "assigned", "dispatched", "in_transit")
    now = datetime.now(timezone.utc)
    new_eta(clean, delivery_id, now + timedelta(hours=2, minutes=35))  # inside the grace: not late
    run_jobs()
    assert "delayed" not in [m.trigger for m in messages(clean, delivery_id)]
    for late in (3, 4):
        new_eta(clean, delivery_id, now + timedelta(hours=late))
        run_jobs()
    assert [m.trigger for m in messages(clean, delivery_id)].count("delayed") == 1


def test_a_far_eta_waits_for_its_moment(client, tenant, smtp, run_jobs, clean):
    _configure(client, tenant, smtp.port, triggers={"arriving_soon": {"channels": ["email"], "minutes": 15, "stops": 0}})
    delivery_id = create_delivery(client, tenant["headers"])
    move(clean, delivery_id, "assigned", "dispatched", "in_transit")
    eta = datetime.now(timezone.utc) + timedelta(minutes=50)
    new_eta(clean, delivery_id, eta)
    run_jobs()
    assert "arriving_soon" not in [m.trigger for m in messages(clean, delivery_id)]
    with clean.sessions() as session:
        [check] = session.execute(select(OutboxItem).where(OutboxItem.kind == "notify.check",
                                                           OutboxItem.state == "pending")).scalars().all()
    assert abs((check.due_at - (eta - timedelta(minutes=15))).total_seconds()) < 1
    earlier = datetime.now(timezone.utc) + timedelta(minutes=30)  # the van is quicker: the check moves earlier
    new_eta(clean, delivery_id, earlier)
    run_jobs()
    with clean.sessions() as session:
        [check] = session.execute(select(OutboxItem).where(OutboxItem.kind == "notify.check",
                                                           OutboxItem.state == "pending")).scalars().all()
    assert abs((check.due_at - (earlier - timedelta(minutes=15))).total_seconds()) < 1


def _notify_rows(runtime, delivery_id: str) -> int:  # type: ignore[no-untyped-def]
    with runtime.sessions() as session:
        return sum(1 for row in session.scalars(select(OutboxItem).where(OutboxItem.kind == "notify"))
                   if (row.payload or {}).get("delivery_id") == delivery_id)


def test_a_tenant_with_no_channel_gets_no_message_work_and_one_with_a_channel_does(client, tenant, smtp, clean):
    # No email or SMS set up: the notify job would read the settings and stop, so no row is written for it.
    quiet = create_delivery(client, tenant["headers"], external_id="TO-quiet")
    move(clean, quiet, "assigned", "dispatched", "in_transit")
    assert _notify_rows(clean, quiet) == 0
    _configure(client, tenant, smtp.port)
    told = create_delivery(client, tenant["headers"], external_id="TO-told")
    move(clean, told, "assigned", "dispatched", "in_transit")
    assert _notify_rows(clean, told) == 2  # order confirmed, out for delivery
    _configure(client, tenant, smtp.port, enabled=False)  # switched off: no rows again
    off = create_delivery(client, tenant["headers"], external_id="TO-off")
    assert _notify_rows(clean, off) == 0
