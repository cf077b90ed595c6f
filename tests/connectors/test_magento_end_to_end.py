"""End to end through the hub: install Magento over the API, poll a stand-in store, ingest, map, cancel,
and write a shipment back when the delivery is dispatched."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from connectors.magento.testing import StandInMagento, sample_order
from connectors.magento.tests.conftest import magento  # noqa: F401  (the stand-in store fixture)
from hub.db.engine import transaction
from hub.db.models import Delivery
from hub.jobs.pull import poll_installation
from hub.ledger.deliveries import change_status

TOKEN = "magento-access-token-0123456789"
SYSTEM = {"kind": "system", "id": "test"}


def store_order(entity_id: int, updated_at: str, **changes: Any) -> dict[str, Any]:
    """The docs' sample order, with weights on the bundle's parts so it maps without data-quality flags."""
    order = sample_order(entity_id, updated_at, **changes)
    for item in order["items"]:
        if item.get("parent_item_id") == 5:
            item["weight"] = 0.25
    return order


def deliveries(client: Any, headers: dict[str, str]) -> dict[str, dict[str, Any]]:
    response = client.get("/api/v1/deliveries", headers=headers)
    assert response.status_code == 200, response.get_json()
    return {d["source"]["external_id"]: d for d in response.get_json()["items"]}


def test_magento_orders_flow_through_the_hub_and_shipments_flow_back(
        client: Any, tenant: dict[str, Any], run_jobs: Any, clean: Any, magento: StandInMagento) -> None:
    magento.put(store_order(3, "2024-05-01 09:00:00"), store_order(4, "2024-05-01 09:30:00"))
    created = client.post("/api/v1/installations", headers=tenant["headers"], json={
        "connector": "magento",
        "settings": {"base_url": magento.base_url, "access_token": TOKEN, "initial_lookback_days": 0},
    })
    assert created.status_code == 201, created.get_json()
    installation_id = created.get_json()["id"]
    assert TOKEN not in created.get_data(as_text=True)
    # Magento sends no webhooks: nothing posted to the inbound URL is taken, even dressed as a pulled order.
    posed = client.post(f"/hooks/{installation_id}", data=b'{"entity_id": 99}', headers={"X-Hub-Pulled": "1"})
    assert posed.status_code == 401

    # First poll: both orders become deliveries.
    assert poll_installation(installation_id)["stored"] == 2
    run_jobs()
    found = deliveries(client, tenant["headers"])
    assert sorted(found) == ["3", "4"]
    first = found["3"]
    assert (first["status"], first["service_level"], first["source"]["external_order_number"]) == ("received", "economy", "000000003")
    assert first["dropoff"]["address"]["line1"] == "123 Oak Ave" and len(first["parcels"]) == 6

    # Nothing new at the store: the second poll stores and changes nothing.
    assert poll_installation(installation_id)["stored"] == 0
    run_jobs()
    assert deliveries(client, tenant["headers"]) == found

    # The customer changes the address: the delivery follows.
    moved = store_order(3, "2024-05-01 10:00:00")
    moved["extension_attributes"]["shipping_assignments"][0]["shipping"]["address"]["street"] = ["9 Elm St", "Apt 2"]
    magento.put(moved)
    assert poll_installation(installation_id)["stored"] == 1
    run_jobs()
    address = deliveries(client, tenant["headers"])["3"]["dropoff"]["address"]
    assert (address["line1"], address["unit"]) == ("9 Elm St", "Apt 2")

    # The store cancels order 4: its delivery is cancelled, and nothing is written back to the store.
    magento.put(store_order(4, "2024-05-01 10:30:00", state="canceled", status="canceled"))
    assert poll_installation(installation_id)["stored"] == 1
    run_jobs()
    assert deliveries(client, tenant["headers"])["4"]["status"] == "cancelled"
    assert magento.comments == []

    # Dispatched: one shipment reaches the store, with the open items and a tracking line.
    delivery_id = found["3"]["id"]
    with transaction(clean.sessions) as session:
        delivery = session.get(Delivery, delivery_id)
        change_status(session, delivery, "assigned", actor=SYSTEM)
        change_status(session, delivery, "dispatched", actor=SYSTEM)
    run_jobs()
    assert len(magento.ships) == 1
    order_id, body = magento.ships[0]
    assert order_id == "3"
    assert body["items"] == [{"order_item_id": 3, "qty": 1}, {"order_item_id": 5, "qty": 1}, {"order_item_id": 11, "qty": 1}]
    assert body["tracks"] == [{"track_number": delivery_id, "title": "Local delivery", "carrier_code": "custom"}]
    assert body["notify"] is True
    link = found["3"]["tracking_url"]
    assert body["comment"] == {"comment": f"Track your delivery: {link}", "is_visible_on_front": 1}
    assert client.get(urlsplit(link).path).status_code == 200  # the link in the shipment comment opens

    # Polling again and running the jobs again ships nothing more.
    poll_installation(installation_id)
    run_jobs()
    assert len(magento.ships) == 1
    events = client.get(f"/api/v1/deliveries/{delivery_id}/events", headers=tenant["headers"]).get_json()["items"]
    written = [e for e in events if e["type"] == "delivery.written_back"]
    assert [(e["data"]["status"], e["data"]["external_ref"]) for e in written] == [("assigned", None), ("dispatched", "1001")]
