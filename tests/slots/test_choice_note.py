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


def test_a_routed_pickup_point_is_named_with_its_address_and_the_recipients() -> None:
    data = {"decided_by": CUSTOMER, "choice": {"kind": "pickup_point", "pickup_point": "kiosk-hm"}, "window": WINDOW,
            "pickup_point": {"id": "kiosk-hm", "name": "Kiosk Hackescher Markt", "address": {
                "line1": "Rosenthaler Str. 40", "postal_code": "10178", "city": "Berlin", "country": "DE"}},
            "customer_address": {"line1": "Alexanderplatz 1", "postal_code": "10178", "city": "Berlin", "country": "DE"}}
    assert choice_note(data, "dlv_1") == (
        "The recipient will collect the parcel at pickup point Kiosk Hackescher Markt (Rosenthaler Str. 40, 10178 "
        "Berlin); their own address stays Alexanderplatz 1, 10178 Berlin. Next attempt: 2030-03-12 10:00-12:00 "
        "(UTC+01:00). (Delivery Hub dlv_1)")


def test_a_decision_of_the_policy_or_an_operator_is_no_note() -> None:
    assert choice_note({"decided_by": {"kind": "policy"}, "window": WINDOW}, "dlv_1") is None
    assert choice_note({"decided_by": {"kind": "operator"}, "choice": {"kind": "slot"}}, "dlv_1") is None
