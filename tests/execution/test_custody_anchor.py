"""The delivery row anchors its event chain: events cut off the end, a replaced newest event, an event added
behind the hub's back, or a status column edited by SQL are caught by GET /custody and `hub custody verify`;
every writer keeps the anchor on the newest event, and the delivery's version counts document changes only."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

from click.testing import CliRunner
from sqlalchemy import delete, select, text, update
from sqlalchemy.orm import Session

from hub.cli import main
from hub.db.engine import transaction
from hub.db.models import Delivery, DeliveryEvent
from hub.ledger.deliveries import change_status
from hub.ledger.events import link_hash
from tests.execution.setup import driver_headers, make_driver, plan_route, pod_form, post_delivery

OPERATOR = {"kind": "operator", "id": "test"}


def custody(client, tenant, delivery_id: str) -> dict:
    response = client.get(f"/api/v1/deliveries/{delivery_id}/custody", headers=tenant["headers"])
    assert response.status_code == 200
    return response.json


def cli(delivery_id: str, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["custody", "verify", delivery_id, *args])
    return result.exit_code, result.output


def events(clean, delivery_id: str) -> list[DeliveryEvent]:
    with clean.sessions() as session:
        return list(session.execute(select(DeliveryEvent).where(DeliveryEvent.delivery_id == delivery_id)
                                    .order_by(DeliveryEvent.sequence)).scalars())


def edit_status(session: Session, delivery_id: str, status: str) -> None:
    """Behind the hub's back: plain SQL on the status column."""
    session.execute(text("UPDATE deliveries SET status = :status WHERE id = :id"), {"status": status, "id": delivery_id})


def cancelled(client, tenant, run_jobs, clean) -> tuple[str, int]:
    """A delivery cancelled through the API, and the sequence of its delivery.status_changed (cancelled)."""
    delivery = post_delivery(client, tenant, run_jobs, "ORD-1", requirements={})
    response = client.post(f"/api/v1/deliveries/{delivery}/cancel", headers=tenant["headers"], json={"reason": "x"})
    assert response.status_code == 200 and response.json["status"] == "cancelled"
    run_jobs()
    assert custody(client, tenant, delivery)["ok"] is True
    return delivery, next(e.sequence for e in events(clean, delivery)
                          if e.type == "delivery.status_changed" and e.data["status"] == "cancelled")


def test_events_deleted_from_the_end_with_the_status_put_back_are_caught(client, tenant, run_jobs, clean):
    delivery, cancel_seq = cancelled(client, tenant, run_jobs, clean)
    last = events(clean, delivery)[-1].sequence
    with transaction(clean.sessions) as session:  # the probe: the cancellation never happened
        session.execute(delete(DeliveryEvent).where(DeliveryEvent.delivery_id == delivery,
                                                    DeliveryEvent.sequence >= cancel_seq))
        edit_status(session, delivery, "received")

    report = custody(client, tenant, delivery)
    reason = (f"events after sequence {cancel_seq - 1} are missing "
              f"(the delivery's record says the chain ends at {last})")
    assert report["ok"] is False and report["chain"]["ok"] is False
    assert report["first_broken"] == {"sequence": cancel_seq, "kind": "event", "reason": reason}
    assert report["chain"]["checked"] == cancel_seq - 1 and report["chain"]["kind"] == "event"
    code, output = cli(delivery)
    assert code == 1 and f"BROKEN at sequence {cancel_seq}: event {cancel_seq}: {reason}" in output
    code, output = cli(delivery, "--json")
    assert code == 1 and json.loads(output)["first_broken"]["sequence"] == cancel_seq


def test_a_later_write_by_the_hub_does_not_hide_a_removal(client, tenant, run_jobs, clean):
    delivery, cancel_seq = cancelled(client, tenant, run_jobs, clean)
    last = events(clean, delivery)[-1]
    with transaction(clean.sessions) as session:
        session.execute(delete(DeliveryEvent).where(DeliveryEvent.id == last.id))
    handoff = client.post(f"/api/v1/deliveries/{delivery}/handoffs", headers=tenant["headers"],
                          json={"from": {"kind": "warehouse", "id": "dep_1"}, "to": {"kind": "carrier", "id": "c"}})
    assert handoff.status_code == 201
    assert handoff.json["sequence"] == last.sequence + 1  # it follows the recorded head, not the remaining rows
    assert custody(client, tenant, delivery)["first_broken"] == {
        "sequence": last.sequence, "kind": "event", "reason": f"event {last.sequence} is missing"}


def test_every_event_deleted_is_caught(client, tenant, run_jobs, clean):
    delivery = post_delivery(client, tenant, run_jobs, "ORD-1", requirements={})
    with transaction(clean.sessions) as session:
        session.execute(delete(DeliveryEvent).where(DeliveryEvent.delivery_id == delivery))
    assert custody(client, tenant, delivery)["first_broken"] == {
        "sequence": 1, "kind": "event",
        "reason": "every event is missing (the delivery's record says the chain ends at 1)"}


def test_a_replaced_newest_event_and_one_added_behind_the_hubs_back_are_caught(client, tenant, run_jobs, clean):
    delivery, _ = cancelled(client, tenant, run_jobs, clean)
    newest = events(clean, delivery)[-1]
    forged = DeliveryEvent(**{c: getattr(newest, c) for c in ("id", "tenant_id", "delivery_id", "sequence", "type",
                                                                "occurred_at", "recorded_at", "actor", "prev_hash")},
                           data={**newest.data, "reason": "rewritten, with a hash that fits"})
    forged.hash = link_hash(forged.prev_hash, forged)  # a consistent rewrite: every link verifies on its own
    with transaction(clean.sessions) as session:
        session.execute(update(DeliveryEvent).where(DeliveryEvent.id == newest.id)
                        .values(data=forged.data, hash=forged.hash))
    assert custody(client, tenant, delivery)["first_broken"] == {
        "sequence": newest.sequence, "kind": "event",
        "reason": "it is not the event the delivery's record names as the newest (it was replaced)"}

    with transaction(clean.sessions) as session:  # put it back, then add a well-chained event after it
        session.execute(update(DeliveryEvent).where(DeliveryEvent.id == newest.id)
                        .values(data=newest.data, hash=newest.hash))
    extra = DeliveryEvent(id="evt_forged", tenant_id=newest.tenant_id, delivery_id=delivery,
                          sequence=newest.sequence + 1, type="delivery.handoff", occurred_at=newest.occurred_at,
                          recorded_at=newest.recorded_at, actor=newest.actor, prev_hash=newest.hash,
                          data={"from": {"kind": "warehouse", "id": "dep_1"}, "to": {"kind": "driver", "id": "d"}})
    extra.hash = link_hash(extra.prev_hash, extra)
    with transaction(clean.sessions) as session:
        session.add(extra)
    assert custody(client, tenant, delivery)["first_broken"] == {
        "sequence": newest.sequence + 1, "kind": "event",
        "reason": f"event {newest.sequence + 1} was not written by the hub "
                  f"(the delivery's record says the chain ends at {newest.sequence})"}


def test_a_status_column_edited_by_sql_is_caught_naming_both_values(client, tenant, run_jobs, clean):
    delivery = post_delivery(client, tenant, run_jobs, "ORD-1", requirements={})
    assert custody(client, tenant, delivery)["ok"] is True  # no status change yet: the created document's status
    with transaction(clean.sessions) as session:
        edit_status(session, delivery, "delivered")
    report = custody(client, tenant, delivery)
    assert report["first_broken"] == {
        "sequence": 1, "kind": "status", "status": "delivered", "expected_status": "received",
        "reason": "the delivery row says 'delivered', but its events say 'received' (set by event 1)"}
    assert report["chain"]["kind"] == "status" and report["chain"]["status"] == "delivered"
    code, output = cli(delivery)
    assert code == 1 and "BROKEN at sequence 1: the delivery's status: the delivery row says 'delivered'" in output

    with transaction(clean.sessions) as session:  # back as it was, then a real change and an edit after it
        edit_status(session, delivery, "received")
        change_status(session, session.get(Delivery, delivery), "cancelled", actor=OPERATOR, reason="test")
    set_status = events(clean, delivery)[-1].sequence
    with transaction(clean.sessions) as session:
        edit_status(session, delivery, "assigned")
    broken = custody(client, tenant, delivery)["first_broken"]
    assert (broken["kind"], broken["sequence"], broken["status"], broken["expected_status"]) == (
        "status", set_status, "assigned", "cancelled")


def test_a_delivery_with_many_writers_verifies_and_its_anchor_names_the_newest_event(client, tenant, run_jobs, clean):
    delivery = post_delivery(client, tenant, run_jobs, "ORD-1")
    with transaction(clean.sessions) as session:
        change_status(session, session.get(Delivery, delivery), "assigned", actor=OPERATOR, reason="by hand")
    driver = make_driver(client, tenant)
    plan_route(clean, driver, [delivery])
    headers = driver_headers(clean, tenant["id"], driver["id"])
    assert client.post("/api/v1/driver/route/start", headers=headers).status_code == 200
    assert client.post(f"/api/v1/driver/stops/{delivery}/arrive", headers=headers).status_code == 200
    an_hour_ago = datetime.now(timezone.utc) - timedelta(hours=1)
    with transaction(clean.sessions) as session:  # a carrier's stale "in transit": recorded, the status stays
        late = change_status(session, session.get(Delivery, delivery), "in_transit", actor=OPERATOR,
                             reason="carrier scan", occurred_at=an_hour_ago)
        assert late is not None and late.type == "delivery.status_reported_late"
    done = client.post(f"/api/v1/driver/stops/{delivery}/complete", data=pod_form(), headers=headers,
                       content_type="multipart/form-data")
    assert done.status_code == 200, done.json
    run_jobs()

    stored = events(clean, delivery)
    types = {e.type for e in stored}
    assert {"delivery.created", "delivery.status_changed", "delivery.status_reported_late", "delivery.handoff",
            "delivery.pod_captured"} <= types
    report = custody(client, tenant, delivery)
    assert report["ok"] is True and report["first_broken"] is None
    assert report["chain"] == {"ok": True, "checked": len(stored), "broken_at_sequence": None, "reason": "",
                               "kind": None}
    code, output = cli(delivery)
    assert code == 0 and "OK" in output
    with clean.sessions() as session:
        row = session.get(Delivery, delivery)
        assert (row.events_head_sequence, row.events_head_hash) == (stored[-1].sequence, stored[-1].hash)
        assert row.status == "delivered" and row.document["version"] == row.version  # no bump for the anchor
