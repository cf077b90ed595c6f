"""Recompute the ETAs of a route's remaining stops from where the vehicle is now. Pure: no database, no clock.

The vehicle leaves its current position at `now` (or when it finishes its current stop, `busy_until`), drives
each leg at the travel-time model's speed for its vehicle type and departure hour, waits when it arrives
before a stop's window opens (service must start inside the window), serves the stop, and moves on.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from hub.routing.matrix import HaversineProvider, LatLng, MatrixProvider

# Customers see ETAs at about quarter-hour resolution and every change may notify them (SMS, app push,
# store webhooks); 5 minutes keeps GPS and traffic jitter quiet while a real delay still reaches them early.
DEFAULT_ETA_THRESHOLD_S = 300
_DEFAULT_PROVIDER = HaversineProvider()


@dataclass(frozen=True)
class RemainingStop:
    delivery_id: str
    location: LatLng
    service_s: int = 0
    window_start: datetime | None = None  # service may not start before this: the driver waits
    window_end: datetime | None = None  # service should start by this: later means late


@dataclass(frozen=True)
class StopEta:
    delivery_id: str
    arrival: datetime  # at the door
    wait_s: int  # waiting for the window to open
    service_start: datetime
    departure: datetime
    late_s: int  # how far service starts past the window's end (0 when on time or no end)

    @property
    def late(self) -> bool:
        return self.late_s > 0


def travel_s(provider: MatrixProvider, a: LatLng, b: LatLng, vehicle_type: str, depart_at: datetime,
             speed_factor: float = 1.0) -> int:
    """Seconds to drive from a to b leaving at depart_at (the provider's time-of-day speeds apply)."""
    if a == b:
        return 0
    seconds = provider.matrices([a, b], vehicle_type, depart_at).durations_s[0][1]
    return int(round(seconds / speed_factor)) if speed_factor != 1.0 else seconds


def recompute_etas(
    position: LatLng,
    now: datetime,
    stops: Sequence[RemainingStop],
    *,
    vehicle_type: str = "van",
    provider: MatrixProvider | None = None,
    speed_factor: float = 1.0,
    busy_until: datetime | None = None,
) -> list[StopEta]:
    """The ETA of every stop in `stops` (the planned sequence of what is left), in that order."""
    provider = provider or _DEFAULT_PROVIDER
    clock = max(now, busy_until) if busy_until else now
    here = position
    out: list[StopEta] = []
    for stop in stops:
        arrival = clock + timedelta(seconds=travel_s(provider, here, stop.location, vehicle_type, clock, speed_factor))
        start = max(arrival, stop.window_start) if stop.window_start else arrival
        late = max(0, int((start - stop.window_end).total_seconds())) if stop.window_end else 0
        departure = start + timedelta(seconds=stop.service_s)
        out.append(StopEta(stop.delivery_id, arrival, int((start - arrival).total_seconds()), start, departure, late))
        clock, here = departure, stop.location
    return out


def eta_changed(old: datetime | None, new: datetime, threshold_s: int = DEFAULT_ETA_THRESHOLD_S) -> bool:
    """Emit delivery.eta_changed? Always for a first estimate; after that only when it moved by more than
    the threshold, earlier or later."""
    if old is None:
        return True
    return abs((new - old).total_seconds()) > threshold_s
