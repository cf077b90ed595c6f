"""One order, several deliveries (an order shipped to more than one address): the connector's ``parse`` returns
one ``order.upsert`` event per address, each named ``<order id>:<shipment id>``, and ``to_delivery`` maps each to
its own delivery with that external id. The rule keeps re-sent and updated orders idempotent per address, and a
cancelled order cancels every one of its deliveries."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from marshmallow import Schema, fields
from sqlalchemy import select

from hub.db.models import Delivery
from hub.plugins import (
    MAP_DELIVERY,
    RECEIVE_WEBHOOK,
    ConnectorSpec,
    InboundEvent,
    InboundRequest,
    MappedDelivery,
    MappingContext,
    Verification,
    WebhookAuth,
)
from hub.runtime import Runtime

TOKEN = "multi-address-token-0123"


class MultiSettings(Schema):
    token = fields.String(required=True, metadata={"secret": True})


class MultiAddress:
    """Orders with ``shipments``, each to its own address."""

    def __init__(self, settings: Mapping[str, Any]) -> None:
        self.token = settings["token"]

    def verify(self, request: InboundRequest) -> Verification:
        ok = request.headers.get("X-Token") == self.token
        return Verification(ok=ok, reason="" if ok else "wrong token", dedupe_key=request.headers.get("X-Hook-Id"))

    def parse(self, request: InboundRequest) -> list[InboundEvent]:
        order, topic = request.json(), request.headers.get("X-Topic", "")
        kind = "order.cancel" if topic == "order/cancelled" else "order.upsert"
        # One event per shipment; each payload is the order narrowed to that shipment, named by the rule.
        return [InboundEvent(kind=kind, external_id=f"{order['id']}:{shipment['id']}", topic=topic,
                             payload={**order, "shipments": [shipment]}) for shipment in order["shipments"]]

    def to_delivery(self, raw: Mapping[str, Any], ctx: MappingContext) -> MappedDelivery:
        (shipment,) = raw["shipments"]
        return MappedDelivery(delivery={
            "source": {"connector": ctx.connector, "installation_id": ctx.installation_id,
                       "external_id": f"{raw['id']}:{shipment['id']}", "external_order_number": raw["number"]},
            "dropoff": {"address": {"line1": shipment["street"], "city": "Berlin", "postal_code": shipment["zip"],
                                    "country": "DE"}, "contact": {"name": shipment["name"]}},
        })


SPEC = ConnectorSpec(id="multiaddress", label="Multi address", kind="source", version="0", settings_schema=MultiSettings,
                     capabilities=frozenset({RECEIVE_WEBHOOK, MAP_DELIVERY}), factory=MultiAddress,
                     webhook_auth=WebhookAuth(scheme="header_token", header="X-Token"))
ORDER = {"id": 77, "number": "#1077", "shipments": [
    {"id": "s1", "name": "Ada Byron", "street": "Torstraße 109", "zip": "10119"},
    {"id": "s2", "name": "Grace Hopper", "street": "Linienstraße 40", "zip": "10119"}]}


def post(client: Any, installation: str, order: dict[str, Any], topic: str, hook_id: str) -> None:
    response = client.post(f"/hooks/{installation}", data=json.dumps(order), headers={
        "Content-Type": "application/json", "X-Token": TOKEN, "X-Topic": topic, "X-Hook-Id": hook_id})
    assert response.status_code == 200, response.json


def deliveries(runtime: Runtime) -> dict[str, Delivery]:
    with runtime.sessions() as session:
        return {d.external_id: d for d in session.execute(select(Delivery)).scalars()}


def test_one_order_to_two_addresses_is_two_deliveries_updated_and_cancelled_together(
        clean: Runtime, client: Any, tenant: dict[str, Any], run_jobs: Any) -> None:
    clean.registry.register(SPEC)
    installation = client.post("/api/v1/installations", headers=tenant["headers"], json={
        "connector": "multiaddress", "settings": {"token": TOKEN}}).json["id"]
    post(client, installation, ORDER, "order/created", "h1")
    run_jobs()
    first = deliveries(clean)
    assert sorted(first) == ["77:s1", "77:s2"]
    assert {d.document["source"]["external_order_number"] for d in first.values()} == {"#1077"}

    moved = json.loads(json.dumps(ORDER))
    moved["shipments"][1]["street"] = "Linienstraße 41"
    post(client, installation, moved, "order/updated", "h2")
    run_jobs()
    second = deliveries(clean)
    assert {k: d.id for k, d in second.items()} == {k: d.id for k, d in first.items()}  # updated, not added
    assert second["77:s2"].document["dropoff"]["address"]["line1"] == "Linienstraße 41"
    assert second["77:s1"].version == first["77:s1"].version  # the other address did not change

    post(client, installation, moved, "order/cancelled", "h3")
    run_jobs()
    assert {d.status for d in deliveries(clean).values()} == {"cancelled"}
