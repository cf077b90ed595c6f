"""The service-time model: address median, then building type, then global; robust to outliers."""

from __future__ import annotations

import json

import pytest

from hub.routing.service_time import DEFAULT_SERVICE_S, ServiceRecord, ServiceTimeModel


def rec(address: str, building: str, seconds: float, parcels: int = 1) -> ServiceRecord:
    return ServiceRecord(address_key=address, building_type=building, parcels=parcels, service_s=seconds)


HISTORY = [
    # An office with a slow reception desk, observed four times; one driver forgot to close the stop.
    rec("1 Main St", "office", 400),
    rec("1 Main St", "office", 420),
    rec("1 Main St", "office", 410),
    rec("1 Main St", "office", 3000),
    # Houses: quick doorstep drops.
    rec("5 Elm Rd", "house", 60),
    rec("7 Elm Rd", "house", 80),
    rec("9 Elm Rd", "house", 70),
    rec("11 Elm Rd", "house", 90),
    # Two apartment observations: not enough for a building-type estimate.
    rec("3 High St Apt 4", "apartment", 300),
    rec("3 High St Apt 9", "apartment", 320),
    # A glitch (negative clock) and a forgotten stop over an hour, both discarded.
    rec("5 Elm Rd", "house", -5),
    rec("7 Elm Rd", "house", 7200),
]


def test_address_median_when_enough_observations() -> None:
    model = ServiceTimeModel.fit(HISTORY)
    assert model.predict_with_source("1 Main St", "office") == (415, "address")  # median of 400 410 420 3000
    # Keys are compared case- and space-insensitively.
    assert model.predict_with_source("  1 MAIN st ", "office") == (415, "address")


def test_building_type_median_when_the_address_is_new_or_thin() -> None:
    model = ServiceTimeModel.fit(HISTORY)
    assert model.predict_with_source("13 Elm Rd", "house") == (75, "building_type")  # median of 60 70 80 90
    assert model.predict_with_source("5 Elm Rd", "house") == (75, "building_type")  # 1 valid observation < 3


def test_global_median_when_the_building_type_is_thin_or_unknown() -> None:
    model = ServiceTimeModel.fit(HISTORY)
    # Valid observations: 400 420 410 3000 60 80 70 90 300 320 -> median (300 + 320) / 2.
    assert model.predict_with_source("3 High St Apt 1", "apartment") == (310, "global")
    assert model.predict_with_source("somewhere", "warehouse") == (310, "global")


def test_default_when_nothing_was_observed() -> None:
    model = ServiceTimeModel.fit([])
    assert model.predict_with_source("x", "house") == (DEFAULT_SERVICE_S, "default")
    assert ServiceTimeModel.fit([], default_s=90).predict("x") == 90


def test_min_observations_is_configurable() -> None:
    model = ServiceTimeModel.fit(HISTORY, min_observations=2)
    assert model.predict_with_source("3 High St Apt 1", "apartment") == (310, "building_type")
    with pytest.raises(ValueError):
        ServiceTimeModel.fit(HISTORY, min_observations=0)


def test_extra_parcels_add_a_robust_per_parcel_time() -> None:
    history = [rec(f"{n} Oak Ave", "house", s) for n, s in enumerate([60, 60, 60, 60])]
    history += [
        rec("20 Oak Ave", "house", 80, parcels=3),  # +10 s per extra parcel
        rec("22 Oak Ave", "house", 90, parcels=4),  # +10 s
        rec("24 Oak Ave", "house", 72, parcels=2),  # +12 s
        rec("26 Oak Ave", "house", 900, parcels=2),  # an outlier the median ignores
    ]
    model = ServiceTimeModel.fit(history)
    assert model.per_extra_parcel_s == pytest.approx(11.0)  # median of 10 10 12 840
    assert model.predict("99 Oak Ave", "house", parcels=1) == 60
    assert model.predict("99 Oak Ave", "house", parcels=5) == 60 + 44
    # Too few multi-parcel stops to estimate: parcels do not change the prediction.
    assert ServiceTimeModel.fit(history[:5]).per_extra_parcel_s == 0.0


def test_round_trips_through_json() -> None:
    model = ServiceTimeModel.fit(HISTORY)
    data = json.loads(json.dumps(model.to_dict()))
    assert data["version"] == 1
    assert data["by_address"]["1 main st"] == [415.0, 4]
    again = ServiceTimeModel.from_dict(data)
    assert again == model
    for address, building in [("1 Main St", "office"), ("13 Elm Rd", "house"), ("x", "apartment")]:
        assert again.predict_with_source(address, building) == model.predict_with_source(address, building)


def test_rejects_an_unknown_version() -> None:
    with pytest.raises(ValueError, match="version"):
        ServiceTimeModel.from_dict({"version": 99})
