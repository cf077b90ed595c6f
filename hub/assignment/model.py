"""The assignment engine's plain data: candidates in, a decision out. No database, no clock, no I/O."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Literal

from hub.assignment.geo import normalize_postal

CandidateKind = Literal["own_fleet", "3pl", "crowd"]


@dataclass(frozen=True)
class Coverage:
    """Where a candidate delivers: postal-code prefixes and/or GeoJSON (Multi)Polygon geometries.
    Both empty means everywhere."""

    postal_prefixes: tuple[str, ...] = ()
    polygons: tuple[dict[str, Any], ...] = ()

    def __post_init__(self) -> None:  # compared with str.startswith on normalized codes
        object.__setattr__(self, "postal_prefixes", tuple(normalize_postal(p) for p in self.postal_prefixes))

    @property
    def everywhere(self) -> bool:
        return not self.postal_prefixes and not self.polygons


@dataclass(frozen=True)
class PriceCard:
    """A carrier's price: base + per km + per kg, plus surcharges keyed by vehicle feature or service level.
    For the own fleet the cost is per km and per hour of the vehicle instead."""

    currency: str = "EUR"
    base: Decimal = Decimal("0")
    per_km: Decimal = Decimal("0")
    per_kg: Decimal = Decimal("0")
    per_hour: Decimal = Decimal("0")
    surcharges: tuple[tuple[str, Decimal], ...] = ()


@dataclass(frozen=True)
class Quality:
    """A carrier's record. Rates are 0..1; avg_delay_min is minutes late on average."""

    failed_attempt_rate: float = 0.0
    avg_delay_min: float = 0.0
    pod_compliance: float = 1.0
    acceptance_rate: float = 1.0


@dataclass(frozen=True)
class Capacity:
    """What is left today. None means unlimited (or unknown, which the engine treats the same)."""

    deliveries: int | None = None
    parcels: int | None = None
    weight_g: int | None = None
    volume_cm3: int | None = None


@dataclass(frozen=True)
class Candidate:
    """One place a delivery can go: an own-fleet depot (its available drivers and vehicles) or a carrier."""

    id: str
    kind: CandidateKind
    name: str = ""
    origin: tuple[float, float] | None = None  # (lat, lng) of the depot or the carrier's hub
    features: frozenset[str] = frozenset()
    coverage: Coverage = Coverage()
    service_levels: frozenset[str] = frozenset()  # empty: every service level
    cutoff_minute: int | None = None  # minutes after local midnight for same-day work; None: no cut-off
    utc_offset_min: int = 0  # the candidate's local time = UTC + this
    available_until_minute: int | None = None  # own fleet: latest shift end today (local minutes)
    available: bool = True  # carrier active / at least one driver available
    unavailable_reason: str | None = None  # why not, in words (e.g. "rejected this delivery before")
    available_zones: tuple[str, ...] | None = None  # own fleet: postal prefixes its available drivers serve
    capacity: Capacity = Capacity()
    max_order_value: Decimal | None = None
    price: PriceCard = PriceCard()
    quote: Decimal | None = None  # a live quote, when one was fetched: replaces the price card
    speed_kmh: float = 30.0
    handling_min: float = 10.0
    rating: float = 4.0  # 0..5
    quality: Quality = Quality()
    depot_id: str | None = None
    carrier_id: str | None = None

    def __post_init__(self) -> None:
        if self.available_zones is not None:
            object.__setattr__(self, "available_zones", tuple(normalize_postal(z) for z in self.available_zones))


@dataclass(frozen=True)
class Weights:
    cost: float = 0.0
    eta: float = 0.0
    rating: float = 0.0
    quality: float = 0.0

    def as_dict(self) -> dict[str, float]:
        return {"cost": self.cost, "eta": self.eta, "rating": self.rating, "quality": self.quality}


@dataclass(frozen=True)
class Override:
    """Different weights/strategy/threshold for deliveries in some zones or at some service levels."""

    zones: tuple[str, ...] = ()  # zone names from Policy.zones
    postal_prefixes: tuple[str, ...] = ()
    service_levels: tuple[str, ...] = ()
    strategy: str | None = None
    weights: Weights | None = None
    max_cost: Decimal | None = None
    name: str = ""


@dataclass(frozen=True)
class Policy:
    strategy: str = "balanced"
    weights: Weights | None = None  # None: the strategy's weights
    max_cost: Decimal | None = None
    currency: str = "EUR"
    zones: tuple[tuple[str, tuple[str, ...]], ...] = ()  # zone name -> postal prefixes
    overrides: tuple[Override, ...] = ()
    version: int = 0


@dataclass(frozen=True)
class Evaluation:
    """One candidate in the decision: excluded by a rule (and why), or scored (and how)."""

    candidate_id: str
    kind: str
    excluded_by: str | None = None
    detail: str = ""
    distance_km: float | None = None
    eta_min: float | None = None
    cost: Decimal | None = None
    score: float | None = None
    parts: dict[str, float] = field(default_factory=dict)
    rank: int | None = None

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"candidate_id": self.candidate_id, "kind": self.kind}
        if self.excluded_by:
            out["excluded_by"] = self.excluded_by
            out["detail"] = self.detail
        if self.distance_km is not None:
            out["distance_km"] = round(self.distance_km, 3)
        if self.eta_min is not None:
            out["eta_min"] = round(self.eta_min, 1)
        if self.cost is not None:
            out["cost"] = str(self.cost)
        if self.score is not None:
            out["score"] = round(self.score, 6)
            out["parts"] = {k: round(v, 6) for k, v in self.parts.items()}
            out["rank"] = self.rank
        return out


@dataclass(frozen=True)
class Decision:
    """The chosen candidate (None when nobody can take it) and every candidate's evaluation, best first."""

    chosen: str | None
    reason: str
    strategy: str
    weights: Weights
    evaluations: tuple[Evaluation, ...]
    policy_version: int = 0
    override: str | None = None

    @property
    def chosen_evaluation(self) -> Evaluation | None:
        return next((e for e in self.evaluations if e.candidate_id == self.chosen), None)

    def as_dict(self) -> dict[str, Any]:
        return {
            "chosen": self.chosen, "reason": self.reason, "strategy": self.strategy,
            "weights": self.weights.as_dict(), "policy_version": self.policy_version, "override": self.override,
            "candidates": [e.as_dict() for e in self.evaluations],
        }
