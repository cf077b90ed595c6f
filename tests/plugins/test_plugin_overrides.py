"""Per-installation JMESPath field overrides: validated when saved, applied after mapping."""

from __future__ import annotations

from hub.plugins import MappingWarning
from hub.plugins.overrides import apply_overrides, canonical_paths, validate_overrides

RAW = {
    "id": 1,
    "note_attributes": [{"name": "Gift", "value": "yes"}, {"name": "Delivery date", "value": "2025-03-14T09:30:00+01:00"}],
    "shipping_address": {"address2": "Apt 4"},
}
DELIVERY = {"source": {"external_id": "1"}, "dropoff": {"contact": {"name": "A"}, "address": {"line1": "x", "city": "y", "country": "DE"}}}


def test_known_canonical_paths_come_from_the_schema() -> None:
    paths = canonical_paths()
    assert {"promised_window.start", "dropoff.address.unit", "dropoff.contact.phone", "parcels", "notes"} <= paths
    assert "source.external_id" not in paths and "data_quality_flags" not in paths  # the hub owns these


def test_valid_overrides_pass() -> None:
    assert validate_overrides({
        "promised_window.start": "note_attributes[?name=='Delivery date'].value | [0]",
        "dropoff.address.unit": "shipping_address.address2",
    }) == []


def test_bad_overrides_name_the_target() -> None:
    errors = {e.path: e.message for e in validate_overrides({
        "promised_window.begin": "a",
        "dropoff.address.unit": "shipping_address.[",
        "notes": "",
        "source.external_id": "id",
    })}
    assert set(errors) == {"promised_window.begin", "dropoff.address.unit", "notes", "source.external_id"}
    assert "promised_window.start" in errors["promised_window.begin"]  # the hint lists the real fields
    assert "invalid JMESPath" in errors["dropoff.address.unit"]
    assert validate_overrides(["not a mapping"])[0].path == ""  # type: ignore[arg-type]


def test_apply_writes_values_without_touching_the_input() -> None:
    overrides = {
        "promised_window.start": "note_attributes[?name=='Delivery date'].value | [0]",
        "dropoff.address.unit": "shipping_address.address2",
    }
    result, warnings = apply_overrides(DELIVERY, RAW, overrides)
    assert warnings == []
    assert result["promised_window"] == {"start": "2025-03-14T09:30:00+01:00"}
    assert result["dropoff"]["address"]["unit"] == "Apt 4" and result["dropoff"]["address"]["city"] == "y"
    assert "promised_window" not in DELIVERY and "unit" not in DELIVERY["dropoff"]["address"]


def test_apply_keeps_the_mapped_value_when_nothing_is_found_or_it_fails() -> None:
    delivery = {**DELIVERY, "notes": "mapped"}
    result, warnings = apply_overrides(delivery, RAW, {"notes": "missing.field", "tags": "abs(shipping_address)"})
    assert result["notes"] == "mapped" and "tags" not in result
    assert [(w.code, w.field) for w in warnings] == [("override_no_value", "$.notes"), ("override_failed", "$.tags")]
    assert all(isinstance(w, MappingWarning) for w in warnings)
