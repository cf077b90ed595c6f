"""The assignment engine against a table of cases: each hard rule, each strategy, overrides, tie-break."""

from __future__ import annotations

import copy
import json
from dataclasses import replace
from datetime import datetime, timezone
from decimal import Decimal
from typing import Any

import pytest

from hub.assignment import (
    RULES, Candidate, Capacity, Coverage, Policy, PriceCard, Quality, assign, consume, policy_from_document,
    validate_policy,
)
from hub.paths import SCHEMAS_DIR

NOW = datetime(2025, 3, 14, 10, 0, tzinfo=timezone.utc)  # 11:00 in Berlin (UTC+1 in March)
MITTE = (52.5265, 13.4023)
BERLIN_BOX = {"type": "Polygon", "coordinates": [[[13.0, 52.3], [13.8, 52.3], [13.8, 52.7], [13.0, 52.7], [13.0, 52.3]]]}
HAMBURG_BOX = {"type": "Polygon", "coordinates": [[[9.7, 53.4], [10.3, 53.4], [10.3, 53.7], [9.7, 53.7], [9.7, 53.4]]]}


def delivery(**changes: Any) -> dict[str, Any]:
    doc = {
        "id": "dlv_01JP9TNM00QRJC4SBS1FXVXDMQ",
        "service_level": "same_day",
        "promised_window": {"start": "2025-03-14T14:00:00+01:00", "end": "2025-03-14T18:00:00+01:00"},
        "dropoff": {"contact": {"name": "Lena"}, "address": {
            "line1": "Torstraße 109", "city": "Berlin", "postal_code": "10119", "country": "DE",
            "geo": {"lat": 52.5297, "lng": 13.4015}}},
        "parcels": [{"quantity": 2, "weight_g": 1000, "temperature": "ambient"}],
        "declared_value": {"amount": "40.00", "currency": "EUR"},
    }
    for path, value in changes.items():
        node = doc
        *parents, last = path.split("__")
        for key in parents:
            node = node.setdefault(key, {})
        if value is None:
            node.pop(last, None)
        else:
            node[last] = value
    return doc


def carrier(cid: str, **kw: Any) -> Candidate:
    base = dict(id=cid, kind="3pl", origin=MITTE, utc_offset_min=60, cutoff_minute=14 * 60,
                price=PriceCard(base=Decimal("5.00"), per_km=Decimal("0.50"), per_kg=Decimal("0.20")),
                quality=Quality(acceptance_rate=0.95), rating=4.5)
    base.update(kw)
    return Candidate(**base)


def own(cid: str = "dep_mitte", **kw: Any) -> Candidate:
    base = dict(id=cid, kind="own_fleet", origin=MITTE, utc_offset_min=60, features=frozenset({"cold_chain"}),
                price=PriceCard(per_km=Decimal("0.40"), per_hour=Decimal("30")), available_until_minute=20 * 60,
                rating=4.0, depot_id=cid)
    base.update(kw)
    return Candidate(**base)


CHILLED = [{"quantity": 1, "weight_g": 500, "temperature": "chilled"}]

# (case, delivery, candidates, policy, chosen, {candidate id: rule that excluded it})
CASES = [
    ("cold chain never goes to a carrier without it", delivery(parcels=CHILLED),
     [carrier("cheap_ambient", price=PriceCard(base=Decimal("1"))), carrier("cold", features=frozenset({"cold_chain"}))],
     Policy(strategy="cheapest"), "cold", {"cheap_ambient": "vehicle_features"}),
    ("cold chain required by requirements too", delivery(requirements={"vehicle_features": ["cold_chain"]}),
     [carrier("ambient")], Policy(), None, {"ambient": "vehicle_features"}),
    ("outside postal coverage", delivery(),
     [carrier("hamburg", coverage=Coverage(postal_prefixes=("20", "21"))), carrier("berlin", coverage=Coverage(("10",)))],
     Policy(), "berlin", {"hamburg": "coverage"}),
    ("polygon coverage", delivery(),
     [carrier("in_poly", coverage=Coverage(polygons=(BERLIN_BOX,))), carrier("out_poly", coverage=Coverage(polygons=(HAMBURG_BOX,)))],
     Policy(), "in_poly", {"out_poly": "coverage"}),
    ("polygon coverage without coordinates", delivery(dropoff__address__geo=None),
     [carrier("poly_only", coverage=Coverage(polygons=(BERLIN_BOX,)))], Policy(), None, {"poly_only": "coverage"}),
    ("own fleet cannot route an address without coordinates", delivery(dropoff__address__geo=None),
     [own(), carrier("c")], Policy(strategy="own_fleet_first"), "c", {"dep_mitte": "coverage"}),
    ("service level not offered", delivery(),
     [carrier("next_day_only", service_levels=frozenset({"next_day"})), carrier("any")], Policy(), "any",
     {"next_day_only": "service_level"}),
    ("past the same-day cut-off", delivery(),
     [carrier("early_cutoff", cutoff_minute=10 * 60), carrier("late_cutoff", cutoff_minute=16 * 60)], Policy(),
     "late_cutoff", {"early_cutoff": "window"}),
    ("next-day ignores the cut-off", delivery(service_level="next_day", promised_window=None),
     [carrier("early_cutoff", cutoff_minute=9 * 60)], Policy(), "early_cutoff", {}),
    ("window cannot be reached", delivery(promised_window={"end": "2025-03-14T11:05:00+01:00"}),
     [carrier("far", origin=(52.40, 13.05))], Policy(), None, {"far": "window"}),
    ("own fleet shift ends before arrival", delivery(),
     [own(available_until_minute=11 * 60 + 5), carrier("c")], Policy(), "c", {"dep_mitte": "window"}),
    ("capacity used up", delivery(),
     [carrier("full", capacity=Capacity(deliveries=0)), carrier("free", capacity=Capacity(deliveries=3))], Policy(),
     "free", {"full": "capacity"}),
    ("too heavy for what is left", delivery(),
     [own(capacity=Capacity(weight_g=1500)), carrier("c")], Policy(strategy="own_fleet_first"), "c",
     {"dep_mitte": "capacity"}),
    ("no driver available", delivery(), [own(available=False), carrier("c")], Policy(), "c", {"dep_mitte": "availability"}),
    ("no driver for this zone", delivery(), [own(available_zones=("12",)), carrier("c")], Policy(), "c",
     {"dep_mitte": "availability"}),
    ("order value above the carrier's limit", delivery(declared_value={"amount": "500.00", "currency": "EUR"}),
     [carrier("small", max_order_value=Decimal("100")), carrier("big", max_order_value=Decimal("1000"))], Policy(),
     "big", {"small": "order_value"}),
    ("cost threshold", delivery(),
     [carrier("pricey", price=PriceCard(base=Decimal("30"))), carrier("ok")], Policy(max_cost=Decimal("10")), "ok",
     {"pricey": "cost_threshold"}),
    ("nobody can take it", delivery(), [carrier("pricey", price=PriceCard(base=Decimal("30")))],
     Policy(max_cost=Decimal("10")), None, {"pricey": "cost_threshold"}),
    ("cheapest", delivery(),
     [carrier("fast_dear", price=PriceCard(base=Decimal("9"))), carrier("slow_cheap", speed_kmh=10.0,
      price=PriceCard(base=Decimal("3")))], Policy(strategy="cheapest"), "slow_cheap", {}),
    ("fastest", delivery(),
     [carrier("fast_dear", price=PriceCard(base=Decimal("9"))), carrier("slow_cheap", speed_kmh=10.0,
      price=PriceCard(base=Decimal("3")))], Policy(strategy="fastest"), "fast_dear", {}),
    ("own fleet first even when dearer", delivery(),
     [carrier("cheap", price=PriceCard(base=Decimal("1"))), own(price=PriceCard(base=Decimal("20")))],
     Policy(strategy="own_fleet_first"), "dep_mitte", {}),
    ("balanced prefers quality at equal price", delivery(),
     [carrier("flaky", quality=Quality(acceptance_rate=0.5, failed_attempt_rate=0.3)), carrier("solid")],
     Policy(strategy="balanced"), "solid", {}),
    ("service-level override switches to fastest", delivery(service_level="express"),
     [carrier("fast_dear", price=PriceCard(base=Decimal("9"))), carrier("slow_cheap", speed_kmh=10.0,
      price=PriceCard(base=Decimal("3")))],
     policy_from_document({"strategy": "cheapest", "overrides": [
         {"name": "express", "match": {"service_levels": ["express"]}, "strategy": "fastest"}]}), "fast_dear", {}),
    ("zone override raises the cost limit", delivery(),
     [carrier("pricey", price=PriceCard(base=Decimal("30")))],
     policy_from_document({"max_cost": "10", "zones": {"mitte": ["101"]}, "overrides": [
         {"name": "mitte", "match": {"zones": ["mitte"]}, "max_cost": "50"}]}), "pricey", {}),
    ("ties broken by id, whatever the input order", delivery(), [carrier("b_twin"), carrier("a_twin")], Policy(),
     "a_twin", {}),
]


@pytest.mark.parametrize("case,doc,candidates,policy,chosen,excluded", CASES, ids=[c[0] for c in CASES])
def test_rule_table(case, doc, candidates, policy, chosen, excluded):
    decision = assign(doc, candidates, policy, NOW)
    assert decision.chosen == chosen, decision.as_dict()
    got = {e.candidate_id: e.excluded_by for e in decision.evaluations if e.excluded_by}
    assert got == excluded, decision.as_dict()
    assert sorted(e.candidate_id for e in decision.evaluations) == sorted(c.id for c in candidates)
    for evaluation in decision.evaluations:
        if evaluation.excluded_by:
            assert evaluation.detail and evaluation.score is None
        else:
            assert set(evaluation.parts) == {"cost", "eta", "rating", "quality"} and evaluation.rank >= 1
    if chosen is None:
        assert "no candidate" in decision.reason


def test_every_rule_has_a_case():
    covered = {rule for case in CASES for rule in case[5].values()}
    assert covered == {name for name, _ in RULES}


def test_ties_are_deterministic_under_permutation():
    twins = [carrier(f"twin_{n}") for n in (3, 1, 2)]
    answers = {assign(delivery(), order, Policy(), NOW).chosen for order in (twins, twins[::-1], twins[1:] + twins[:1])}
    assert answers == {"twin_1"}


def test_capacity_used_up_moves_the_next_order_to_the_next_candidate():
    candidates = [carrier("first", price=PriceCard(base=Decimal("1")), capacity=Capacity(deliveries=2)),
                  carrier("second", price=PriceCard(base=Decimal("2")), capacity=Capacity(deliveries=1))]
    chosen = []
    for n in range(4):
        decision = assign(delivery(), candidates, Policy(strategy="cheapest"), NOW)
        chosen.append(decision.chosen)
        candidates = [consume(c, delivery()) if c.id == decision.chosen else c for c in candidates]
    assert chosen == ["first", "first", "second", None]


def test_parcel_weight_capacity_is_consumed():
    depot = own(capacity=Capacity(parcels=3, weight_g=5000))
    after = consume(depot, delivery())
    assert after.capacity.parcels == 1 and after.capacity.weight_g == 3000 and after.capacity.deliveries is None


def test_decision_explains_itself_as_json():
    decision = assign(delivery(parcels=CHILLED), [carrier("ambient"), own()], Policy(), NOW)
    doc = json.loads(json.dumps(decision.as_dict()))
    assert doc["chosen"] == "dep_mitte" and doc["strategy"] == "balanced"
    rows = {row["candidate_id"]: row for row in doc["candidates"]}
    assert rows["ambient"]["excluded_by"] == "vehicle_features" and "cold_chain" in rows["ambient"]["detail"]
    assert rows["dep_mitte"]["rank"] == 1 and rows["dep_mitte"]["parts"]["cost"] == 1.0


def test_live_quote_replaces_the_price_card():
    quoted = carrier("quoted", quote=Decimal("2.50"))
    decision = assign(delivery(), [quoted, carrier("card")], Policy(strategy="cheapest"), NOW)
    assert decision.chosen == "quoted" and decision.chosen_evaluation.cost == Decimal("2.50")


def test_example_policy_validates_and_loads():
    doc = json.loads((SCHEMAS_DIR / "examples" / "assignment_policy.v1.json").read_text())
    assert validate_policy(doc) == []
    policy = policy_from_document(doc, version=3)
    assert policy.strategy == "own_fleet_first" and policy.max_cost == Decimal("25.00") and policy.version == 3
    bad = validate_policy({"strategy": "random", "weights": {"cost": 2}})
    assert {e.path for e in bad} == {"$.strategy", "$.weights.cost"}


def test_the_engine_does_not_change_its_input():
    doc, candidates = delivery(), [carrier("a"), own()]
    before = copy.deepcopy(doc)
    assign(doc, candidates, Policy(), NOW)
    assert doc == before and candidates == [carrier("a"), own()] and replace(candidates[0]) == carrier("a")


def test_capacity_detail_counts_parcels_in_words():
    decision = assign(delivery(), [own(capacity=Capacity(parcels=1)), carrier("c")], Policy(), NOW)
    detail = next(e.detail for e in decision.evaluations if e.candidate_id == "dep_mitte")
    assert detail == "1 parcel left today, needs 2"
