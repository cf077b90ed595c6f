"""Mapping and write-back bodies against the published Magento samples (beyond the contract's golden files)."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from hub.testing import PAYLOADS_DIR
from hub.plugins import TableError

from connectors.magento import polling, writeback
from connectors.magento.mapping import LEVELS, ORDER_STATES
from connectors.magento.polling import Bookmark

GOLDEN = Path(__file__).parent / "fixtures" / "golden"
SETTINGS = {"base_url": "https://shop.example.com", "notify_customer": True, "carrier_code": "custom",
            "carrier_title": "Local delivery"}


def payload(name: str) -> Any:
    """One of the Magento docs' samples from tests/data/payloads."""
    return json.loads((PAYLOADS_DIR / name).read_text(encoding="utf-8"))


def swagger_body_schema(path: str) -> dict[str, Any]:
    spec = payload("magento_openapi_2.4.9_orders_ship_excerpt.json")
    (body,) = [p for p in spec["paths"][path]["post"]["parameters"] if p["in"] == "body"]
    return {**body["schema"], "definitions": spec["definitions"]}


def test_golden_order_is_the_published_sample_byte_for_byte() -> None:
    assert (GOLDEN / "magento_order_1.input.json").read_bytes() == (PAYLOADS_DIR / "magento_order_1.json").read_bytes()


def test_ship_items_are_the_ones_the_docs_ship() -> None:
    """Simple line 3, bundle *parent* 5, configurable *child* 11; downloadable 4 and the rest left out."""
    order = payload("magento_order_1.json")
    expected = payload("magento_ship_request_with_tracks.json")["items"]
    assert writeback.ship_items(order) == expected


def test_ship_items_skip_what_is_shipped_and_split_separately_shipped_bundles() -> None:
    order = copy.deepcopy(payload("magento_order_1.json"))
    for item in order["items"]:
        if item["item_id"] == 3:
            item["qty_shipped"] = 1
        if item["item_id"] == 5:
            item["product_options"] = {"shipment_type": "1"}
    assert [i["order_item_id"] for i in writeback.ship_items(order)] == [6, 7, 8, 9, 11]


def test_ship_body_fits_magento_schema_and_the_docs_shape() -> None:
    order = payload("magento_order_1.json")
    event = {"data": {"status": "dispatched"}, "tracking_url": "https://hub.example/track/dlv_1"}
    body = writeback.ship_body(order, {"id": "dlv_1"}, event, SETTINGS)
    jsonschema.Draft4Validator(swagger_body_schema("/V1/order/{orderId}/ship")).validate(body)
    docs = payload("magento_ship_request_with_tracks.json")
    assert set(docs) <= set(body) and set(docs["tracks"][0]) == set(body["tracks"][0])
    assert body["tracks"] == [{"track_number": "dlv_1", "title": "Local delivery", "carrier_code": "custom"}]


def test_ship_body_names_the_msi_source_like_the_docs() -> None:
    order = payload("magento_order_1.json")
    body = writeback.ship_body(order, {"id": "dlv_1"}, {"data": {}}, {**SETTINGS, "source_code": "ne_wh"})
    assert body["arguments"] == payload("magento_ship_request_msi_source.json")["arguments"]
    jsonschema.Draft4Validator(swagger_body_schema("/V1/order/{orderId}/ship")).validate(body)


@pytest.mark.parametrize("status", writeback.COMMENT_STATUSES)
def test_comment_body_fits_magento_schema(status: str) -> None:
    body = writeback.comment_body("3", {"id": "dlv_1"}, {"data": {"status": status, "reason": "nobody home"}})
    jsonschema.Draft4Validator(swagger_body_schema("/V1/orders/{id}/comments")).validate(body)
    history = body["statusHistory"]
    assert (history["is_customer_notified"], history["is_visible_on_front"], history["parent_id"]) == (0, 0, 3)
    assert "nobody home" in history["comment"] and "dlv_1" in history["comment"]


def test_search_envelopes_with_and_without_total_count() -> None:
    start = Bookmark(polling.BEGINNING, 0)
    full = polling.read_page(payload("magento_search_result_shape_customers.json"), start, page_size=1, page=1)
    assert (full.fresh, full.more) == ([], False)  # total_count 1 on a page of 1; customers are no orders
    trimmed = payload("magento_orders_search_fields_filter.json")  # fields= drops total_count
    assert polling.read_page(trimmed, start, page_size=3, page=1).more is True
    assert polling.read_page(trimmed, start, page_size=10, page=1).more is False


def test_search_query_is_keyset_paged() -> None:
    query = dict(polling.search_query(Bookmark("2024-05-01 10:00:00", 42), page_size=50))
    assert query["searchCriteria[filter_groups][0][filters][0][condition_type]"] == "gteq"
    assert query["searchCriteria[filter_groups][1][filters][0][field]"] == "updated_at"
    assert query["searchCriteria[filter_groups][1][filters][1][field]"] == "entity_id"
    assert query["searchCriteria[filter_groups][1][filters][1][value]"] == "42"
    assert query["searchCriteria[sortOrders][1][field]"] == "entity_id"
    assert (query["searchCriteria[pageSize]"], query["searchCriteria[currentPage]"]) == ("50", "1")


def test_bookmarks_round_trip_and_refuse_garbage() -> None:
    assert str(polling.parse_bookmark("2024-05-01 10:00:00|42")) == "2024-05-01 10:00:00|42"
    assert polling.parse_bookmark(None) is None
    with pytest.raises(ValueError):
        polling.parse_bookmark("yesterday|1")


def test_value_tables_load_and_a_bad_level_is_refused() -> None:
    assert LEVELS["codes"]["tablerate_bestway"] == "economy"
    assert ORDER_STATES["statuses"]["holded"] == "hold" and "holded" in ORDER_STATES["reasons"]
    with pytest.raises(TableError, match="warp"):
        LEVELS.patched({"codes": {"x_y": "warp"}})


def _mapped(raw: dict[str, Any]) -> Any:
    from hub.plugins import MappingContext
    from hub.testing import FIXED_NOW

    from connectors.magento.mapping import to_delivery

    return to_delivery(raw, MappingContext("t", "ins_1", "magento", FIXED_NOW, settings=SETTINGS))


def test_an_order_the_store_shipped_in_full_says_so() -> None:
    """The hub creates no delivery for it when first seen (hub/intake/handlers.py)."""
    raw = json.loads((GOLDEN / "magento_order_1.input.json").read_text(encoding="utf-8"))
    assert _mapped(raw).shipped_by_source is False
    shipped = copy.deepcopy(raw)
    for item in shipped["items"]:
        item["qty_shipped"] = item["qty_ordered"]
    assert _mapped(shipped).shipped_by_source is True
    assert _mapped({**raw, "state": "complete", "status": "complete"}).shipped_by_source is True
    partly = copy.deepcopy(shipped)
    partly["items"][0]["qty_shipped"] = 0
    assert _mapped(partly).shipped_by_source is False
