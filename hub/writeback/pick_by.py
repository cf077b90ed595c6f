"""Pick-by times to the warehouse: once a delivery's route is planned, every warehouse installation of the
tenant that takes pick-by messages learns when the goods must be ready (the route's departure minus a
staging margin). Rides the outbox; an unreachable warehouse gets it later."""

from __future__ import annotations

from datetime import datetime, timedelta

from hub.canonical.fields import parse_aware_timestamp

# Loading a van at the depot takes about this long; the goods must be at the dock before it.
STAGING_MARGIN = timedelta(minutes=30)


def pick_by_time(route_event_data: dict) -> datetime | None:  # type: ignore[type-arg]
    starts_at = route_event_data.get("starts_at")
    if not starts_at:
        return None
    moment = parse_aware_timestamp(starts_at)
    return moment - STAGING_MARGIN if moment else None
