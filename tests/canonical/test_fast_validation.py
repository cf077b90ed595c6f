"""The quick yes/no of canonical validation (jsonschema-rs) never passes a document jsonschema refuses, so
`validate_document` answers exactly as jsonschema alone did, only faster for valid documents."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hub.canonical.validation import _field_errors, fast_validator, validate_document, validator
from hub.paths import SCHEMAS_DIR
from tests.canonical.test_canonical_properties import PROPERTY_SETTINGS, delivery_input

EXAMPLES = sorted((SCHEMAS_DIR / "examples").rglob("*.json"))
junk = st.recursive(st.none() | st.booleans() | st.integers(-10**12, 10**12) | st.floats(allow_nan=False)
                    | st.text(max_size=12) | st.sampled_from(["DE\n", "a@b", "not a uri", "2025-02-30T10:00:00Z",
                                                             "2025-03-14T09:30:00Z", "", "EUR", "dlv_x"]),
                    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
                    max_leaves=6)


def _name(path: Any) -> str:
    return str(path.relative_to(SCHEMAS_DIR / "examples").with_suffix(""))


def _paths(doc: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every place in a document a value sits."""
    out = [prefix] if prefix else []
    if isinstance(doc, dict):
        for key, value in doc.items():
            out += _paths(value, (*prefix, key))
    elif isinstance(doc, list):
        for index, value in enumerate(doc):
            out += _paths(value, (*prefix, index))
    return out


def _replaced(doc: Any, path: tuple[Any, ...], value: Any) -> Any:
    doc = copy.deepcopy(doc)
    target = doc
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = value
    return doc


def _agree(name: str, doc: Any) -> None:
    if fast_validator(name).is_valid(doc):
        assert validator(name).is_valid(doc), f"the quick check passed what jsonschema refuses: {doc!r}"
    assert validate_document(name, doc) == sorted(
        {e for error in validator(name).iter_errors(doc) for e in _field_errors(error)})


@pytest.mark.parametrize("example", EXAMPLES, ids=_name)
def test_every_example_is_valid_to_both(example: Any) -> None:
    doc = json.loads(example.read_text(encoding="utf-8"))
    assert fast_validator(_name(example)).is_valid(doc) and validate_document(_name(example), doc) == []


@PROPERTY_SETTINGS
@given(delivery_input(), st.data())
def test_a_changed_delivery_gets_the_answer_jsonschema_gives(doc: dict[str, Any], data: st.DataObject) -> None:
    path = data.draw(st.sampled_from(_paths(doc)))
    _agree("delivery_input.v1", _replaced(doc, path, data.draw(junk)))


def test_what_the_quick_check_refuses_and_jsonschema_allows_is_still_valid() -> None:
    doc = json.loads((SCHEMAS_DIR / "examples" / "delivery_input.v1.json").read_text(encoding="utf-8"))
    doc["dropoff"]["address"]["country"] = "DE\n"  # Python's $ matches before a final newline
    assert not fast_validator("delivery_input.v1").is_valid(doc)
    assert validate_document("delivery_input.v1", doc) == []  # as before the quick check existed
