"""An LRU cache in front of any matrix provider.

Re-planning the same day asks for the same points again and again; a routing server call for a
few hundred points costs seconds, a dictionary look-up costs nothing. Entries are keyed by the
points rounded to ~1 m, the vehicle type and a time-of-day bucket.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Sequence
from datetime import datetime

from hub.routing.matrix import LatLng, MatrixProvider, Matrices

# 5 decimal places of a degree is ~1.1 m at the equator: below geocoding noise, so two geocodes
# of the same door share an entry, while distinct doors on a street do not.
COORDINATE_DECIMALS = 5

# One hour buckets match the granularity of time-of-day speed profiles and traffic data.
DEFAULT_BUCKET_MINUTES = 60

# A day's re-plans for a few depots x vehicle types x hours; a 200-point entry holds ~3 MB of Python
# ints, so the cache stays near 50 MB at worst.
DEFAULT_MAX_ENTRIES = 16


def hour_bucket(depart_at: datetime | None, minutes: int = DEFAULT_BUCKET_MINUTES) -> int:
    """Minutes since midnight divided into buckets; -1 when there is no departure time."""
    if depart_at is None:
        return -1
    return (depart_at.hour * 60 + depart_at.minute) // minutes


class CachedProvider:
    """Wraps a provider; identical requests (after rounding) are served from memory.

    `bucket` maps a departure time to a hashable bucket; the default is the hour of day. Pass
    `SpeedProfile.band_index` to share entries across all hours that use the same speed band."""

    def __init__(
        self,
        inner: MatrixProvider,
        max_entries: int = DEFAULT_MAX_ENTRIES,
        *,
        bucket: Callable[[datetime | None], Hashable] = hour_bucket,
    ) -> None:
        if max_entries < 1:
            raise ValueError(f"max_entries must be >= 1: {max_entries}")
        self.inner = inner
        self.max_entries = max_entries
        self.bucket = bucket
        self.hits = 0
        self.misses = 0
        self._entries: OrderedDict[Hashable, Matrices] = OrderedDict()
        self._lock = threading.Lock()

    def key(self, points: Sequence[LatLng], vehicle_type: str, depart_at: datetime | None) -> Hashable:
        rounded = tuple((round(lat, COORDINATE_DECIMALS), round(lng, COORDINATE_DECIMALS)) for lat, lng in points)
        return (rounded, vehicle_type, self.bucket(depart_at))

    def matrices(
        self, points: Sequence[LatLng], vehicle_type: str, depart_at: datetime | None = None
    ) -> Matrices:
        key = self.key(points, vehicle_type, depart_at)
        with self._lock:
            cached = self._entries.get(key)
            if cached is not None:
                self._entries.move_to_end(key)
                self.hits += 1
                return _copy(cached)
            self.misses += 1
        # Computed outside the lock: a slow HTTP call must not block other readers.
        result = self.inner.matrices(points, vehicle_type, depart_at)
        with self._lock:
            self._entries[key] = _copy(result)
            self._entries.move_to_end(key)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)
        return result

    def __len__(self) -> int:
        return len(self._entries)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self.hits = self.misses = 0


def _copy(m: Matrices) -> Matrices:
    """Callers may edit the lists they get; the cached copy must not change under them."""
    return Matrices(durations_s=[row[:] for row in m.durations_s], distances_m=[row[:] for row in m.distances_m])
