"""Deliveries, depot, vans and drivers map to the solver's Problem: features, windows, demand, shifts."""

from __future__ import annotations

from datetime import date
from types import SimpleNamespace

from hub.planning.builder import UNLIMITED, build_problem, delivery_day, pair_fleet
from hub.planning.codec import problem_from_dict
from hub.routing.service_time import DEFAULT_SERVICE_S
from tests.planning.setup import delivery

DAY = date(2026, 12, 1)


def _depot() -> SimpleNamespace:
    return SimpleNamespace(id="dep_1", name="West", lat=43.6447, lng=-79.4024, utc_offset_min=-300)


def _fleet() -> list[tuple[SimpleNamespace, SimpleNamespace]]:
    vans = [SimpleNamespace(id="veh_cold", active=True, features=["cold_chain"], capacity_weight_g=400_000,
                            capacity_volume_cm3=None, capacity_parcels=20, cost_per_km="0.60", cost_per_hour="35",
                            speed_kmh=30.0),
            SimpleNamespace(id="veh_dry", active=True, features=[], capacity_weight_g=None, capacity_volume_cm3=None,
                            capacity_parcels=None, cost_per_km="0.5", cost_per_hour="0", speed_kmh=15.0),
            SimpleNamespace(id="veh_idle", active=True, features=[], capacity_weight_g=1, capacity_volume_cm3=1,
                            capacity_parcels=1, cost_per_km="0", cost_per_hour="0", speed_kmh=30.0)]
    drivers = [SimpleNamespace(id="drv_a", vehicle_id="veh_cold", available=True, shift_start="08:00",
                               shift_end="17:30", max_hours=8.0, skills=["alcohol"]),
               SimpleNamespace(id="drv_b", vehicle_id="veh_dry", available=True, shift_start="22:00",
                               shift_end="06:00", max_hours=8.0, skills=[]),
               SimpleNamespace(id="drv_c", vehicle_id="veh_idle", available=False, shift_start="08:00",
                               shift_end="17:00", max_hours=8.0, skills=[])]
    return pair_fleet(vans, drivers)


def _doc(ident: str, **kw) -> dict:
    return {"id": ident, **delivery(ident, DAY, 43.65, -79.39, (9, 13), **kw)}


def test_cold_chain_window_demand_priority_and_fleet() -> None:
    cold = _doc("dlv_cold", cold=True)
    cold["priority_tier"] = "vip"
    plain = _doc("dlv_plain")
    plain["requirements"] = {"skills": ["alcohol"]}
    built = build_problem(_depot(), _fleet(), [plain, cold], DAY)
    p = built.problem

    assert [v.id for v in p.vehicles] == ["veh_cold", "veh_dry"]  # the idle van has no available driver
    assert built.drivers == {"veh_cold": "drv_a", "veh_dry": "drv_b"}
    van, dry = p.vehicle("veh_cold"), p.vehicle("veh_dry")
    assert van.features == {"cold_chain"} and van.skills == {"alcohol"}
    assert van.shift.start == 8 * 3600 and van.shift.end == 17 * 3600 + 1800 and van.max_work_s == 8 * 3600
    assert dry.shift.start == 22 * 3600 and dry.shift.end == 30 * 3600  # overnight shift runs into the next day
    assert van.capacity == (400_000, UNLIMITED, 20) and dry.capacity == (UNLIMITED,) * 3
    assert dry.speed_factor == 0.5 and van.cost_per_km == 0.6 and van.cost_per_hour == 35.0

    c = p.stop("dlv_cold")
    assert c.required_features == {"cold_chain"}  # from the chilled parcel
    assert c.demand == (1800, 0, 2)  # 2 x 900 g, no dimensions given, 2 parcels
    assert c.priority == 3
    assert [(w.start, w.end) for w in c.time_windows] == [(9 * 3600, 13 * 3600)]  # Toronto-local 09:00-13:00
    s = p.stop("dlv_plain")
    assert s.required_features == frozenset() and s.required_skills == {"alcohol"}
    assert s.demand == (1800, 700 * 350 * 350 // 1000, 1) and s.priority == 1
    assert s.service_s == DEFAULT_SERVICE_S
    assert p.origin == "2026-12-01T00:00:00-05:00" and p.dimension_names == ("weight_g", "volume_cm3", "parcels")
    assert p.distances[0][c.location_index] > 0


def test_unroutable_deliveries_are_skipped_with_a_reason_and_the_problem_round_trips() -> None:
    no_geo = _doc("dlv_nogeo")
    del no_geo["dropoff"]["address"]["geo"]
    elsewhere = _doc("dlv_late")
    elsewhere["promised_window"] = {"end": "2026-11-30T10:00:00-05:00"}  # the day before
    ok = _doc("dlv_ok")
    ok["promised_window"] = {"end": "2026-12-01T18:00:00Z"}  # only an end: from midnight to 13:00 local
    built = build_problem(_depot(), _fleet(), [no_geo, elsewhere, ok], DAY)
    assert set(built.skipped) == {"dlv_nogeo", "dlv_late"} and "geo" in built.skipped["dlv_nogeo"]
    assert [(w.start, w.end) for w in built.problem.stop("dlv_ok").time_windows] == [(0, 13 * 3600)]
    again = problem_from_dict(built.stored)
    assert again == built.problem
    assert delivery_day(ok, -300) == DAY and delivery_day({}, 0) is None
