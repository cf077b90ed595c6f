"""The store's note of the recipient's choice (hub/writeback/choices.py): one sentence per choice, none for a
decision that was not the recipient's."""

from __future__ import annotations

from hub.writeback.choices import choice_note

WINDOW = {"start": "2030-03-12T10:00:00+01:00", "end": "2030-03-12T12:00:00+01:00"}
CUSTOMER = {"kind": "customer"}


def test_each_choice_in_a_sentence_with_the_next_window() -> None:
    slot = choice_note({"decided_by": CUSTOMER, "choice": {"kind": "slot"}, "window": WINDOW}, "dlv_1")
    assert slot == "The recipient chose a new delivery window: 2030-03-12 10:00-12:00 (UTC+01:00). (Delivery Hub dlv_1)"
    safe = choice_note({"decided_by": CUSTOMER, "choice": {"kind": "safe_place", "instructions": "behind the shed"},
                        "window": WINDOW}, "dlv_1")
    assert safe and safe.startswith("The recipient asked us to leave the parcel at a safe place: behind the shed.")
    point = choice_note({"decided_by": CUSTOMER, "choice": {"kind": "pickup_point", "pickup_point": "kiosk-alex"},
                         "window": WINDOW}, "dlv_1")
    assert point and "pickup point kiosk-alex" in point


def test_a_decision_of_the_policy_or_an_operator_is_no_note() -> None:
    assert choice_note({"decided_by": {"kind": "policy"}, "window": WINDOW}, "dlv_1") is None
    assert choice_note({"decided_by": {"kind": "operator"}, "choice": {"kind": "slot"}}, "dlv_1") is None
