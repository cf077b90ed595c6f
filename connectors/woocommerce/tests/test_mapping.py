"""Mapping beyond the golden files: the published samples are the ones recorded here, address_2
splitting, value tables, and the choices the golden cases do not show."""

from __future__ import annotations

import json

import pytest

from hub.testing import PAYLOADS_DIR
from hub.plugins import STATUSES, TableError, load_settings, split_address_line
from hub.testing import build_context

from connectors.woocommerce import CONNECTOR
from connectors.woocommerce.mapping import SERVICE_LEVELS, to_delivery
from connectors.woocommerce.writeback import WRITEBACK, WRITEBACK_RULES, rules_of
from connectors.woocommerce.tests.helpers import GOLDEN, SETTINGS

ORDER = json.loads((GOLDEN / "order_727_processing.input.json").read_text(encoding="utf-8"))


def ctx(**context: object):
    return build_context(CONNECTOR, load_settings(CONNECTOR, SETTINGS), dict(context))


@pytest.mark.parametrize(("sample", "golden", "pick"), [
    ("woo_order_1.json", "order_727_processing", None),
    ("woo_order_2_updated_completed.json", "order_727_updated_completed", None),
    ("woo_orders_list.json", "order_723_non_ascii_completed", 723),
])
def test_golden_inputs_are_the_published_samples(sample: str, golden: str, pick: int | None) -> None:
    recorded = json.loads((PAYLOADS_DIR / sample).read_text(encoding="utf-8"))
    if pick is not None:
        recorded = next(o for o in recorded if o["id"] == pick)
    assert json.loads((GOLDEN / f"{golden}.input.json").read_text(encoding="utf-8")) == recorded


def test_every_listed_order_maps_to_a_valid_delivery() -> None:
    from hub.testing import validate_document

    for order in json.loads((PAYLOADS_DIR / "woo_orders_list.json").read_text(encoding="utf-8")):
        mapped = to_delivery(order, ctx())
        assert mapped.delivery is not None, mapped.skip_reason
        assert validate_document("delivery_input.v1", mapped.delivery) == []


@pytest.mark.parametrize(("text", "unit", "floor", "rest"), [
    ("Apt 4B", "4B", None, None),
    ("Apt. 4B, 3rd floor", "4B", "3", None),
    ("Suite 200", "200", None, None),
    ("#12", "12", None, None),
    ("Unit A", "A", None, None),
    ("Flat 2/1", "2/1", None, None),
    ("Apto 101, 2º andar", "101", "2", None),
    ("Hinterhaus, Wohnung 5, 2. OG", "5", "2", "Hinterhaus"),
    ("Floor 7", None, "7", None),
    ("Building C", None, None, "Building C"),
    ("c/o Smith", None, None, "c/o Smith"),
    ("Appleby Court", None, None, "Appleby Court"),
    ("Flatiron Bldg", None, None, "Flatiron Bldg"),
    ("", None, None, None),
])
def test_address_2_is_split_into_unit_floor_and_rest(text: str, unit: str | None, floor: str | None, rest: str | None) -> None:
    found = split_address_line(text)
    assert (found.unit, found.floor, found.rest) == (unit, floor, rest)


def test_an_override_of_service_level_silences_the_unknown_warning() -> None:
    order = {**ORDER, "shipping_lines": [{"method_id": "wf_shipping_ups:7", "method_title": "UPS"}]}
    plain = to_delivery(order, ctx())
    overridden = to_delivery(order, ctx(overrides={"service_level": "'express'"}))
    assert "service_level_unknown" in {w.code for w in plain.warnings}
    assert "service_level_unknown" not in {w.code for w in overridden.warnings}


def test_wc_prefixed_status_and_extra_statuses() -> None:
    assert to_delivery({**ORDER, "status": "wc-processing"}, ctx()).delivery is not None
    assert to_delivery({**ORDER, "status": "shipped"}, ctx()).skip_reason == "not deliverable: unknown order status 'shipped'"
    released = to_delivery({**ORDER, "status": "shipped"}, ctx(settings={"extra_deliverable_statuses": "on-hold,shipped"}))
    assert released.delivery is not None


@pytest.mark.parametrize("status", ["draft", "auto-draft", "pending", "on-hold", "failed", "checkout-draft"])
def test_unpaid_statuses_wait_for_payment(status: str) -> None:
    assert to_delivery({**ORDER, "status": status}, ctx()).skip_reason == f"awaiting payment: status {status}"


def test_tables_are_validated_at_load() -> None:
    with pytest.raises(TableError, match="not one of"):
        SERVICE_LEVELS.patched({"codes": {"flat_rate": "slow"}})
    with pytest.raises(TableError, match="no rule for"):
        rules_of(WRITEBACK.patched({"statuses": {"delivered": None}}))
    with pytest.raises(TableError, match="unknown template fields"):
        rules_of(WRITEBACK.patched({"statuses": {"dispatched": {"action": "customer_note", "template": "{secret}"}}}))
    assert set(WRITEBACK_RULES) == set(STATUSES)


def test_a_weight_of_zero_is_flagged_as_missing_not_kept() -> None:
    """0 g is a product nobody weighed; like Shopify and Magento, it becomes no weight plus a flag."""
    raw = json.loads((GOLDEN / "apartment_weights_entities.input.json").read_text(encoding="utf-8"))
    raw["line_items"][0]["meta_data"] = [{"id": 1, "key": "_weight", "value": "0"}]
    mapped = to_delivery(raw, ctx())
    assert "weight_g" not in mapped.delivery["parcels"][0]
    assert [w.field for w in mapped.warnings if w.code == "parcel_weight_missing"] == ["$.parcels[0].weight_g"]
