"""The one table loader: every table in mappings/ loads, a malformed table names its file and line, a
patch is checked against the same schema, and a third-party package loads its own tables the same way."""

from __future__ import annotations

from pathlib import Path

import pytest

from hub.paths import MAPPINGS_DIR
from hub.plugins import SERVICE_LEVELS, STATUSES, TableError, load_table
from hub.plugins.tables import parse_table


def test_every_table_in_mappings_loads() -> None:
    files = sorted(MAPPINGS_DIR.glob("*/*.yaml"))
    assert {f.parent.name for f in files} >= {"common", "shopify", "woocommerce", "magento", "uber_direct", "hub_carrier"}
    for file in files:
        table = load_table(file.parent, file.stem)
        assert table.name == f"{file.parent.name}/{file.stem}" and table.get("description")


def test_a_bad_value_names_the_file_and_its_line(tmp_path: Path) -> None:
    (tmp_path / "service_levels.yaml").write_text(
        "kind: service_levels\ndescription: test\ncodes:\n  standard: economy\n  courier: sameday\n", encoding="utf-8")
    with pytest.raises(TableError) as caught:
        load_table(tmp_path, "service_levels")
    assert caught.value.line == 5 and caught.value.path == ("codes", "courier")
    assert str(caught.value).startswith(f"{tmp_path / 'service_levels.yaml'}:5 at codes.courier: 'sameday' is not one of")


def test_broken_yaml_names_the_line() -> None:
    with pytest.raises(TableError, match=r"^x\.yaml:3: not valid YAML: mapping values are not allowed here"):
        parse_table("kind: words\ndescription: d\nwords: unit: [apt]\n", name="t/x", source="x.yaml")


def test_structure_errors_name_what_is_wrong() -> None:
    with pytest.raises(TableError, match=r"x\.yaml:1: 'description' is a required property"):
        parse_table("kind: words\nwords: {unit: [apt]}\n", name="t/x", source="x.yaml")
    with pytest.raises(TableError, match=r"x\.yaml:3 at pickup_words\[0\]: '\(unclosed' is not a 'regex'"):
        parse_table("kind: service_levels\ndescription: d\npickup_words: ['(unclosed']\n", name="t/x", source="x.yaml")
    with pytest.raises(TableError, match="'later' is not one of"):
        parse_table("kind: values\ndescription: d\nallowed: [now]\nvalues: {a: later}\n", name="t/x", source="x.yaml")


def test_the_schema_uses_the_canonical_vocabularies() -> None:
    for level in SERVICE_LEVELS:
        parse_table(f"kind: service_levels\ndescription: d\ncodes: {{x: {level}}}\n", name="t/x", source="x.yaml")
    for status in STATUSES:
        parse_table(f"kind: statuses\ndescription: d\nstatuses: {{x: {status}}}\n", name="t/x", source="x.yaml")


def test_a_patch_merges_and_is_checked_against_the_schema() -> None:
    table = load_table(MAPPINGS_DIR / "shopify", "service_levels")
    patched = table.patched({"codes": {"Courier Express": "same_day", "express": None}})
    assert patched["codes"]["Courier Express"] == "same_day" and "express" not in patched["codes"]
    assert "express" in table["codes"]  # the loaded table is not changed by a patch
    with pytest.raises(TableError) as caught:
        table.patched({"codes": {"Courier Express": "soon"}})
    assert caught.value.source == "override of shopify/service_levels" and caught.value.path == ("codes", "Courier Express")


def test_a_third_party_package_loads_its_tables_with_the_same_loader() -> None:
    table = load_table("hub_connector_example", "service_levels")
    assert table.name == "hub_connector_example/service_levels" and table.source == "hub_connector_example/service_levels.yaml"
    assert table["codes"]["rush"] == "same_day"
    from hub_connector_example import CONNECTOR
    assert table in CONNECTOR.tables  # declared, so an owner may patch it per installation


def test_a_missing_table_is_a_table_error(tmp_path: Path) -> None:
    with pytest.raises(TableError, match="cannot read the table"):
        load_table(tmp_path, "nothing_here")
