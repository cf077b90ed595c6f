"""How long a stop takes, learned from completed stops.

The prediction falls back through three levels: the median observed at this address (once it has
enough observations), else the median for its building type, else the global median. Medians,
not means: one driver who forgot to tap "delivered" for twenty minutes must not move the estimate.
Extra parcels add a robustly fitted number of seconds each. The model round-trips through a plain
dict so the hub can store it as JSON.
"""

from __future__ import annotations

import math
import statistics
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

Source = Literal["address", "building_type", "global", "default"]

# The median of 3 is the smallest sample whose median ignores one outlier (with 2 it is their mean).
DEFAULT_MIN_OBSERVATIONS = 3

# 3 minutes: a common planning figure for a doorstep parcel drop when nothing has been observed.
DEFAULT_SERVICE_S = 180

# Over an hour at one stop is a driver who forgot to close it, not service; under 1 s is a clock glitch.
MAX_PLAUSIBLE_S = 3600
MIN_PLAUSIBLE_S = 1

MODEL_VERSION = 1


@dataclass(frozen=True)
class ServiceRecord:
    """One completed stop: where, what kind of building, how many parcels, how long it took."""

    address_key: str
    building_type: str
    parcels: int
    service_s: float


@dataclass(frozen=True)
class Estimate:
    median_s: float
    count: int


@dataclass
class ServiceTimeModel:
    by_address: dict[str, Estimate] = field(default_factory=dict)
    by_building_type: dict[str, Estimate] = field(default_factory=dict)
    global_estimate: Estimate | None = None
    per_extra_parcel_s: float = 0.0
    min_observations: int = DEFAULT_MIN_OBSERVATIONS
    default_s: int = DEFAULT_SERVICE_S

    # -------------------------------------------------------------- fitting

    @classmethod
    def fit(
        cls,
        records: Iterable[ServiceRecord],
        *,
        min_observations: int = DEFAULT_MIN_OBSERVATIONS,
        default_s: int = DEFAULT_SERVICE_S,
    ) -> ServiceTimeModel:
        if min_observations < 1:
            raise ValueError(f"min_observations must be >= 1: {min_observations}")
        clean = [r for r in records if MIN_PLAUSIBLE_S <= r.service_s <= MAX_PLAUSIBLE_S and r.parcels >= 1]
        slope = _per_extra_parcel(clean, min_observations)
        by_address: dict[str, list[float]] = defaultdict(list)
        by_type: dict[str, list[float]] = defaultdict(list)
        every: list[float] = []
        for r in clean:
            base = r.service_s - slope * (r.parcels - 1)  # the time this stop would take with one parcel
            by_address[normalize_key(r.address_key)].append(base)
            by_type[normalize_key(r.building_type)].append(base)
            every.append(base)
        return cls(
            by_address={k: _estimate(v) for k, v in by_address.items()},
            by_building_type={k: _estimate(v) for k, v in by_type.items()},
            global_estimate=_estimate(every) if every else None,
            per_extra_parcel_s=slope,
            min_observations=min_observations,
            default_s=default_s,
        )

    # -------------------------------------------------------------- predicting

    def predict(self, address_key: str, building_type: str = "", parcels: int = 1) -> int:
        """Whole seconds (rounded up) to serve a stop."""
        return self.predict_with_source(address_key, building_type, parcels)[0]

    def predict_with_source(self, address_key: str, building_type: str = "", parcels: int = 1) -> tuple[int, Source]:
        """The prediction and which level of the fallback produced it."""
        base, source = self._base(normalize_key(address_key), normalize_key(building_type))
        extra = self.per_extra_parcel_s * max(0, parcels - 1)
        return math.ceil(base + extra), source

    def _base(self, address: str, building: str) -> tuple[float, Source]:
        est = self.by_address.get(address)
        if est and est.count >= self.min_observations:
            return est.median_s, "address"
        est = self.by_building_type.get(building)
        if est and est.count >= self.min_observations:
            return est.median_s, "building_type"
        if self.global_estimate is not None:
            return self.global_estimate.median_s, "global"
        return float(self.default_s), "default"

    # -------------------------------------------------------------- storage

    def to_dict(self) -> dict[str, Any]:
        return {
            "version": MODEL_VERSION,
            "min_observations": self.min_observations,
            "default_s": self.default_s,
            "per_extra_parcel_s": self.per_extra_parcel_s,
            "global": _dump(self.global_estimate) if self.global_estimate else None,
            "by_address": {k: _dump(v) for k, v in sorted(self.by_address.items())},
            "by_building_type": {k: _dump(v) for k, v in sorted(self.by_building_type.items())},
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ServiceTimeModel:
        if data.get("version") != MODEL_VERSION:
            raise ValueError(f"unsupported service-time model version: {data.get('version')!r}")
        glob = data.get("global")
        return cls(
            by_address={k: _load(v) for k, v in data.get("by_address", {}).items()},
            by_building_type={k: _load(v) for k, v in data.get("by_building_type", {}).items()},
            global_estimate=_load(glob) if glob else None,
            per_extra_parcel_s=float(data.get("per_extra_parcel_s", 0.0)),
            min_observations=int(data.get("min_observations", DEFAULT_MIN_OBSERVATIONS)),
            default_s=int(data.get("default_s", DEFAULT_SERVICE_S)),
        )


def normalize_key(key: str) -> str:
    """Address and building-type keys compare case- and space-insensitively."""
    return " ".join(key.split()).lower()


def _per_extra_parcel(records: list[ServiceRecord], min_observations: int) -> float:
    """Seconds each parcel beyond the first adds: the median, over multi-parcel stops, of
    (their time - the single-parcel median of their building type) / extra parcels.
    Zero when there are too few such stops to say (parcels then do not change the estimate)."""
    singles: dict[str, list[float]] = defaultdict(list)
    for r in records:
        if r.parcels == 1:
            singles[normalize_key(r.building_type)].append(r.service_s)
    baseline = {k: statistics.median(v) for k, v in singles.items() if len(v) >= min_observations}
    slopes = [
        (r.service_s - baseline[normalize_key(r.building_type)]) / (r.parcels - 1)
        for r in records
        if r.parcels > 1 and normalize_key(r.building_type) in baseline
    ]
    if len(slopes) < min_observations:
        return 0.0
    return max(0.0, statistics.median(slopes))


def _estimate(values: list[float]) -> Estimate:
    return Estimate(median_s=float(statistics.median(values)), count=len(values))


def _dump(e: Estimate) -> list[float | int]:
    return [e.median_s, e.count]


def _load(v: Any) -> Estimate:
    median_s, count = v
    return Estimate(median_s=float(median_s), count=int(count))
