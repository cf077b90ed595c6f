"""The assignment engine: which own-fleet depot or carrier takes a delivery. Pure: the clock comes in as
`now`, the candidates' capacity left today comes in with them, and nothing is read or written.

Hard rules run first, in the order of RULES; the first rule a candidate fails excludes it and is named in
the decision. The candidates that pass are scored with the policy's weights over cost, ETA, rating and
quality (each part 0..1, 1 best) and ranked; ties fall to cost, then ETA, then candidate id, so the same
input always gives the same answer.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, Callable, Sequence

from hub.assignment.geo import contains, matches_prefix, normalize_postal, road_km
from hub.assignment.model import Candidate, Capacity, Decision, Evaluation, Override, Policy, Weights
from hub.canonical.fields import parse_aware_timestamp

STRATEGIES: dict[str, Weights] = {
    "cheapest": Weights(cost=1.0),
    "fastest": Weights(eta=1.0),
    "balanced": Weights(cost=0.4, eta=0.3, rating=0.1, quality=0.2),
    "own_fleet_first": Weights(cost=0.4, eta=0.3, rating=0.1, quality=0.2),  # plus own fleet ranked first
}
# Service levels that must be handed over before a candidate's same-day cut-off.
CUTOFF_LEVELS = frozenset({"same_day", "express"})
# An address without coordinates counts as a typical urban trip, so it neither wins nor loses on distance.
UNKNOWN_DISTANCE_KM = 10.0
# Half an hour of average lateness halves a carrier's delay factor in the quality score.
DELAY_HALF_SCORE_MIN = 30.0
TEMPERATURE_FEATURE = {"chilled": "cold_chain", "frozen": "cold_chain"}


@dataclass(frozen=True)
class Facts:
    """What the rules need from a delivery, read once."""

    postal_code: str
    point: tuple[float, float] | None
    service_level: str
    window_end: datetime | None
    features: frozenset[str]
    parcels: int
    weight_g: int
    volume_cm3: int
    value: Decimal | None


def facts_of(delivery: dict[str, Any]) -> Facts:
    address = delivery.get("dropoff", {}).get("address", {})
    geo = address.get("geo")
    parcels = delivery.get("parcels", [])
    features = set(delivery.get("requirements", {}).get("vehicle_features", []))
    count = weight = volume = 0
    for parcel in parcels:
        quantity = int(parcel.get("quantity", 1))
        count += quantity
        weight += quantity * int(parcel.get("weight_g", 0))
        dims = parcel.get("dimensions_mm")
        if dims:  # mm^3 -> cm^3
            volume += quantity * (int(dims["length"]) * int(dims["width"]) * int(dims["height"])) // 1000
        if parcel.get("temperature") in TEMPERATURE_FEATURE:
            features.add(TEMPERATURE_FEATURE[parcel["temperature"]])
    value = delivery.get("declared_value")
    return Facts(
        postal_code=normalize_postal(str(address.get("postal_code", ""))),
        point=(float(geo["lat"]), float(geo["lng"])) if geo else None,
        service_level=str(delivery.get("service_level", "unknown")),
        window_end=parse_aware_timestamp((delivery.get("promised_window") or {}).get("end")),
        features=frozenset(features), parcels=max(count, 1), weight_g=weight, volume_cm3=volume,
        value=Decimal(value["amount"]) if value else None,
    )


class Trip:
    """Distance, ETA and cost from the candidate's origin, each worked out only when a rule or the score
    asks for it: most candidates are excluded (features, coverage) before anyone needs them."""

    __slots__ = ("candidate", "facts", "_distance", "_eta", "_cost")

    def __init__(self, c: Candidate, f: Facts) -> None:
        self.candidate, self.facts = c, f
        self._distance: float | None = None
        self._eta: float | None = None
        self._cost: Decimal | None = None

    @property
    def distance_km(self) -> float:
        if self._distance is None:
            c, f = self.candidate, self.facts
            self._distance = road_km(c.origin, f.point) if c.origin and f.point else UNKNOWN_DISTANCE_KM
        return self._distance

    @property
    def eta_min(self) -> float:
        if self._eta is None:
            self._eta = self.candidate.handling_min + self.distance_km / self.candidate.speed_kmh * 60.0
        return self._eta

    @property
    def cost(self) -> Decimal:
        if self._cost is None:
            self._cost = _price(self.candidate, self.facts, self.distance_km, self.eta_min)
        return self._cost


def trip(c: Candidate, f: Facts) -> Trip:
    return Trip(c, f)


def _price(c: Candidate, f: Facts, distance_km: float, eta_min: float) -> Decimal:
    if c.quote is not None:
        return c.quote
    p = c.price
    cost = float(p.base) + float(p.per_km) * distance_km
    if c.kind == "own_fleet":
        cost += float(p.per_hour) * eta_min / 60.0
    else:
        cost += float(p.per_kg) * f.weight_g / 1000.0
    for key, amount in p.surcharges:
        if key in f.features or key == f.service_level:
            cost += float(amount)
    return Decimal(f"{cost:.2f}")  # money is decimal; floats only inside this sum, rounded to cents once


def _local_minute(c: Candidate, moment: datetime) -> int:
    local = moment + timedelta(minutes=c.utc_offset_min)
    return local.hour * 60 + local.minute


# Each rule returns None (passes) or why the candidate is excluded.
RuleFn = Callable[[Candidate, Facts, Trip, datetime, Decimal | None], str | None]


def _features(c: Candidate, f: Facts, t: Trip, now: datetime, max_cost: Decimal | None) -> str | None:
    if f.features <= c.features:
        return None
    return f"lacks vehicle features: {', '.join(sorted(f.features - c.features))}"


def _coverage(c: Candidate, f: Facts, t: Trip, now: datetime, max_cost: Decimal | None) -> str | None:
    if c.kind == "own_fleet" and f.point is None:  # a carrier routes by address; our planner needs a point
        return "the drop-off has no coordinates, and own-fleet routes are planned on coordinates"
    cov = c.coverage
    if cov.everywhere:
        return None
    if cov.postal_prefixes and f.postal_code and f.postal_code.startswith(cov.postal_prefixes):
        return None
    if cov.polygons and f.point and any(contains(poly, f.point) for poly in cov.polygons):
        return None
    if cov.polygons and not f.point and not cov.postal_prefixes:
        return "the address has no coordinates to check against the coverage area"
    return f"postal code {f.postal_code or '(none)'} is outside the coverage area"


def _service_level(c: Candidate, f: Facts, t: Trip, now: datetime, max_cost: Decimal | None) -> str | None:
    if c.service_levels and f.service_level not in c.service_levels:
        return f"does not offer {f.service_level} (offers {', '.join(sorted(c.service_levels))})"
    return None


def _window(c: Candidate, f: Facts, t: Trip, now: datetime, max_cost: Decimal | None) -> str | None:
    minute = _local_minute(c, now)
    if c.cutoff_minute is not None and f.service_level in CUTOFF_LEVELS and minute > c.cutoff_minute:
        return f"past today's cut-off {c.cutoff_minute // 60:02d}:{c.cutoff_minute % 60:02d} for {f.service_level}"
    arrival = now + timedelta(minutes=t.eta_min)
    if f.window_end is not None and arrival > f.window_end:
        return f"cannot arrive before the window ends ({t.eta_min:.0f} min needed)"
    if c.available_until_minute is not None and minute + t.eta_min > c.available_until_minute:
        return "would arrive after the last shift ends"
    return None


def _parcels(count: int) -> str:
    return f"{count} parcel" if count == 1 else f"{count} parcels"


def _capacity(c: Candidate, f: Facts, t: Trip, now: datetime, max_cost: Decimal | None) -> str | None:
    cap = c.capacity
    if cap.deliveries is not None and cap.deliveries < 1:
        return "no deliveries left in today's capacity"
    if cap.parcels is not None and cap.parcels < f.parcels:
        return f"{_parcels(cap.parcels)} left today, needs {f.parcels}"
    if cap.weight_g is not None and cap.weight_g < f.weight_g:
        return f"{cap.weight_g} g left today, needs {f.weight_g} g"
    if cap.volume_cm3 is not None and cap.volume_cm3 < f.volume_cm3:
        return f"{cap.volume_cm3} cm3 left today, needs {f.volume_cm3} cm3"
    return None


def _availability(c: Candidate, f: Facts, t: Trip, now: datetime, max_cost: Decimal | None) -> str | None:
    if not c.available:
        return c.unavailable_reason or "not available (inactive, or no driver on shift)"
    zones = c.available_zones
    if zones and not (f.postal_code and f.postal_code.startswith(zones)):
        return "no available driver serves this zone"
    return None


def _order_value(c: Candidate, f: Facts, t: Trip, now: datetime, max_cost: Decimal | None) -> str | None:
    if c.max_order_value is not None and f.value is not None and f.value > c.max_order_value:
        return f"order value {f.value} is above its limit {c.max_order_value}"
    return None


def _cost(c: Candidate, f: Facts, t: Trip, now: datetime, max_cost: Decimal | None) -> str | None:
    if max_cost is not None and t.cost > max_cost:
        return f"cost {t.cost} is above the policy's limit {max_cost}"
    return None


RULES: tuple[tuple[str, RuleFn], ...] = (
    ("vehicle_features", _features),
    ("coverage", _coverage),
    ("service_level", _service_level),
    ("window", _window),
    ("capacity", _capacity),
    ("availability", _availability),
    ("order_value", _order_value),
    ("cost_threshold", _cost),
)


def _matching_override(policy: Policy, f: Facts) -> Override | None:
    zones = dict(policy.zones)
    for override in policy.overrides:
        prefixes = [*override.postal_prefixes, *(p for z in override.zones for p in zones.get(z, ()))]
        if (override.zones or override.postal_prefixes) and not matches_prefix(f.postal_code, prefixes):
            continue
        if override.service_levels and f.service_level not in override.service_levels:
            continue
        return override
    return None


def effective(policy: Policy, f: Facts) -> tuple[str, Weights, Decimal | None, str | None]:
    """(strategy, weights, max cost, override name) for this delivery."""
    override = _matching_override(policy, f)
    strategy, weights, max_cost = policy.strategy, policy.weights, policy.max_cost
    if override is not None:
        if override.strategy:
            strategy, weights = override.strategy, override.weights
        if override.weights is not None:
            weights = override.weights
        if override.max_cost is not None:
            max_cost = override.max_cost
    if strategy not in STRATEGIES:
        raise ValueError(f"unknown strategy {strategy!r}; known: {', '.join(sorted(STRATEGIES))}")
    return strategy, weights or STRATEGIES[strategy], max_cost, (override.name or "override") if override else None


def _quality(c: Candidate) -> float:
    q = c.quality
    delay = 1.0 / (1.0 + max(q.avg_delay_min, 0.0) / DELAY_HALF_SCORE_MIN)
    return max(0.0, q.acceptance_rate) * max(0.0, 1.0 - q.failed_attempt_rate) * max(0.0, q.pod_compliance) * delay


def assign(delivery: dict[str, Any], candidates: Sequence[Candidate], policy: Policy, now: datetime) -> Decision:
    f = facts_of(delivery)
    strategy, weights, max_cost, override = effective(policy, f)
    excluded: list[Evaluation] = []
    eligible: list[tuple[Candidate, Trip]] = []
    for c in candidates:
        t = trip(c, f)
        for name, rule in RULES:
            why = rule(c, f, t, now, max_cost)
            if why is not None:
                excluded.append(Evaluation(c.id, c.kind, excluded_by=name, detail=why, distance_km=t._distance,
                                           eta_min=t._eta, cost=t._cost))
                break
        else:
            eligible.append((c, t))
    scored = _score(eligible, weights, own_first=strategy == "own_fleet_first")
    evaluations = tuple(scored + sorted(excluded, key=lambda e: e.candidate_id))
    if not scored:
        reasons = sorted({e.excluded_by or "" for e in excluded})
        why = f"no candidate can take it (excluded by: {', '.join(reasons)})" if excluded else "no candidates"
        return Decision(None, why, strategy, weights, evaluations, policy.version, override)
    best = scored[0]
    reason = f"{strategy}: best score {best.score:.4f} of {len(scored)} eligible, {len(excluded)} excluded"
    return Decision(best.candidate_id, reason, strategy, weights, evaluations, policy.version, override)


def _score(eligible: list[tuple[Candidate, Trip]], w: Weights, *, own_first: bool) -> list[Evaluation]:
    if not eligible:
        return []
    min_cost = min(t.cost for _, t in eligible)
    min_eta = min(t.eta_min for _, t in eligible)
    total = (w.cost + w.eta + w.rating + w.quality) or 1.0
    rows = []
    for c, t in eligible:
        parts = {
            "cost": float(min_cost / t.cost) if t.cost > 0 else 1.0,
            "eta": min_eta / t.eta_min if t.eta_min > 0 else 1.0,
            "rating": max(0.0, min(c.rating, 5.0)) / 5.0,
            "quality": _quality(c),
        }
        score = (w.cost * parts["cost"] + w.eta * parts["eta"] + w.rating * parts["rating"]
                 + w.quality * parts["quality"]) / total
        group = 0 if (not own_first or c.kind == "own_fleet") else 1
        rows.append(((group, -round(score, 9), t.cost, t.eta_min, c.id), c, t, score, parts))
    rows.sort(key=lambda row: row[0])
    return [Evaluation(c.id, c.kind, distance_km=t.distance_km, eta_min=t.eta_min, cost=t.cost, score=score,
                       parts=parts, rank=i + 1) for i, (_, c, t, score, parts) in enumerate(rows)]


def consume(candidate: Candidate, delivery: dict[str, Any]) -> Candidate:
    """The candidate after taking this delivery: today's capacity reduced by it."""
    f, cap = facts_of(delivery), candidate.capacity

    def less(left: int | None, used: int) -> int | None:
        return None if left is None else left - used

    return replace(candidate, capacity=Capacity(
        deliveries=less(cap.deliveries, 1), parcels=less(cap.parcels, f.parcels),
        weight_g=less(cap.weight_g, f.weight_g), volume_cm3=less(cap.volume_cm3, f.volume_cm3)))
