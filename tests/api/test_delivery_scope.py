"""A driver key reads the deliveries of its own routes, a carrier key those dispatched to it, each with the
fields its job needs; anything else is 404 (docs/security.md, "Access and secrets"). Admin and integration
keys read the whole tenant."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from hub.db.engine import transaction
from hub.db.models import Delivery, InboxItem
from hub.ledger.events import append_event
from hub.runtime import Runtime
from tests.execution.setup import driver_headers, make_driver, plan_route, plan_route_by_events, post_delivery
from tests.execution.test_carrier_reports import dispatch_to, make_carrier
from tests.fixtures import make_key

HIDDEN_FROM_DRIVERS = ("source", "tenant", "declared_value", "tags", "data_quality_flags")


def ids(client: Any, headers: dict[str, str]) -> set[str]:
    response = client.get("/api/v1/deliveries", headers=headers)
    assert response.status_code == 200, response.json
    return {item["id"] for item in response.json["items"]}


def readable(client: Any, headers: dict[str, str], delivery_id: str) -> tuple[int, int]:
    one = client.get(f"/api/v1/deliveries/{delivery_id}", headers=headers).status_code
    events = client.get(f"/api/v1/deliveries/{delivery_id}/events", headers=headers).status_code
    return one, events


def test_a_driver_reads_only_the_deliveries_of_its_routes(client: Any, tenant: dict[str, Any], run_jobs: Any,
                                                          clean: Runtime) -> None:
    mine, worked, by_events, other, unplanned = (post_delivery(client, tenant, run_jobs, f"ORD-{n}") for n in range(5))
    ana, ben = make_driver(client, tenant, "Ana"), make_driver(client, tenant, "Ben")
    plan_route(clean, ana, [mine], route_id="rte_today")
    plan_route(clean, ana, [worked], route_id="rte_yesterday", day=date.today() - timedelta(days=1))
    plan_route_by_events(clean, ana, [by_events])
    plan_route(clean, ben, [other], route_id="rte_ben")
    headers = driver_headers(clean, tenant["id"], ana["id"])

    assert ids(client, headers) == {mine, worked, by_events}
    for delivery_id in (mine, worked, by_events):
        assert readable(client, headers, delivery_id) == (200, 200)
    for delivery_id in (other, unplanned, "dlv_does_not_exist"):
        assert readable(client, headers, delivery_id) == (404, 404)
    assert ids(client, tenant["headers"]) == {mine, worked, by_events, other, unplanned}  # the admin sees all

    document = client.get(f"/api/v1/deliveries/{mine}", headers=headers).json
    assert not set(HIDDEN_FROM_DRIVERS) & set(document)
    assert {"dropoff", "promised_window", "parcels", "requirements", "status"} <= set(document)
    full = client.get(f"/api/v1/deliveries/{mine}", headers=tenant["headers"]).json
    assert {"source", "tenant", "declared_value"} <= set(full)  # what was dropped is there for the admin


def test_a_stop_the_driver_worked_stays_readable_after_a_replan_moved_it(client: Any, tenant: dict[str, Any],
                                                                        run_jobs: Any, clean: Runtime) -> None:
    delivery_id = post_delivery(client, tenant, run_jobs, "ORD-1")
    ana, ben = make_driver(client, tenant, "Ana"), make_driver(client, tenant, "Ben")
    plan_route(clean, ana, [delivery_id], route_id="rte_ana")
    headers = driver_headers(clean, tenant["id"], ana["id"])
    with transaction(clean.sessions) as session:  # Ana arrived there: an event she caused
        append_event(session, session.get(Delivery, delivery_id), "delivery.stop_arrived", {},
                     actor={"kind": "driver", "id": ana["id"]})
    plan_route(clean, ben, [delivery_id], route_id="rte_ben")  # Ben's depot plan now holds the stop
    assert readable(client, headers, delivery_id) == (200, 200)
    assert readable(client, driver_headers(clean, tenant["id"], ben["id"]), delivery_id) == (200, 200)
    stranger = make_driver(client, tenant, "Cem")
    assert readable(client, driver_headers(clean, tenant["id"], stranger["id"]), delivery_id) == (404, 404)


def test_a_carrier_reads_only_what_was_dispatched_to_it(client: Any, tenant: dict[str, Any], run_jobs: Any,
                                                        clean: Runtime) -> None:
    accepted, offered, declined, others, nobodys = (post_delivery(client, tenant, run_jobs, f"ORD-{n}")
                                                    for n in range(5))
    swift, rapid = make_carrier(client, tenant, "Swift"), make_carrier(client, tenant, "Rapid")
    dispatch_to(clean, tenant["id"], accepted, swift)
    dispatch_to(clean, tenant["id"], offered, swift, state="dispatched")
    dispatch_to(clean, tenant["id"], declined, swift, state="rejected")
    dispatch_to(clean, tenant["id"], others, rapid)
    headers = make_key(clean, tenant["id"], "carrier", subject_id=swift)

    assert ids(client, headers) == {accepted, offered}
    assert readable(client, headers, accepted) == (200, 200)
    for delivery_id in (declined, others, nobodys):
        assert readable(client, headers, delivery_id) == (404, 404)
    document = client.get(f"/api/v1/deliveries/{accepted}", headers=headers).json
    assert "declared_value" in document and not {"source", "tenant", "data_quality_flags"} & set(document)
    assert ids(client, make_key(clean, tenant["id"], "integration")) == {accepted, offered, declined, others, nobodys}


def test_a_carrier_sees_the_progress_of_its_job_not_the_whole_history(client: Any, tenant: dict[str, Any],
                                                                      run_jobs: Any, clean: Runtime) -> None:
    delivery_id = post_delivery(client, tenant, run_jobs, "ORD-1")
    carrier = make_carrier(client, tenant, "Swift")
    dispatch_to(clean, tenant["id"], delivery_id, carrier)
    headers = make_key(clean, tenant["id"], "carrier", subject_id=carrier)
    picked = client.post(f"/api/v1/carrier/deliveries/{delivery_id}/events", headers=headers,
                         json={"type": "delivery.status_changed", "data": {"status": "picked_up"}})
    assert picked.status_code == 200, picked.json

    full = client.get(f"/api/v1/deliveries/{delivery_id}/events", headers=tenant["headers"]).json["items"]
    seen = client.get(f"/api/v1/deliveries/{delivery_id}/events", headers=headers).json["items"]
    assert {e["type"] for e in full} - {e["type"] for e in seen}  # e.g. delivery.received stays with the tenant
    assert {e["type"] for e in seen} <= {"delivery.status_changed", "delivery.handoff", "delivery.pod_captured",
                                         "delivery.eta_changed"}
    assert all("hash" not in e and "prev_hash" not in e for e in seen)
    for event in seen:
        own = event["actor"].get("kind") == "carrier"
        assert event["actor"] == ({"kind": "carrier", "id": carrier} if own else {"kind": event["actor"]["kind"]})
    assert any(e["actor"].get("id") == carrier for e in seen)


def test_a_scoped_key_never_learns_of_a_submission_still_in_the_inbox(client: Any, tenant: dict[str, Any],
                                                                      clean: Runtime) -> None:
    # API submissions are created in the request now; a submission an older hub queued is still in the inbox.
    pending = "dlv_01QUEUEDBYANOLDERHUB00000"
    with transaction(clean.sessions) as session:
        session.add(InboxItem(tenant_id=tenant["id"], source_key=f"api:{tenant['id']}", dedupe_key="queued-1",
                              body=b"{}", headers=[], state="pending", delivery_id=pending))
    assert client.get(f"/api/v1/deliveries/{pending}", headers=tenant["headers"]).status_code == 202
    driver = make_key(clean, tenant["id"], "driver", subject_id="drv_nobody")
    assert client.get(f"/api/v1/deliveries/{pending}", headers=driver).status_code == 404
