"""The failed-delivery heatmap: failed deliveries counted per H3 hexagon and failure reason."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import h3
from sqlalchemy.orm import Session

from hub.analytics.figures import Scope, failed_points


def heatmap(session: Session, scope: Scope, resolution: int) -> list[dict[str, Any]]:
    counts: dict[tuple[str, str], int] = defaultdict(int)
    for point in failed_points(session, scope):
        counts[(h3.latlng_to_cell(point.lat, point.lng, resolution), point.failure_reason or "unknown")] += 1
    out = []
    for (cell, reason), count in sorted(counts.items()):
        lat, lng = h3.cell_to_latlng(cell)
        out.append({"cell": cell, "resolution": resolution, "lat": round(lat, 6), "lng": round(lng, 6),
                    "reason": reason, "failed": count})
    return out


def deliveries_in_cell(session: Session, scope: Scope, cell: str, reason: str | None = None) -> list[str]:
    """The failed deliveries in an H3 cell; none in a string that names no cell (a drill-down filter, like the
    others, that matches nothing)."""
    if not h3.is_valid_cell(cell):
        return []
    resolution = h3.get_resolution(cell)
    return [p.delivery_id for p in failed_points(session, scope, reason)
            if h3.latlng_to_cell(p.lat, p.lng, resolution) == cell]
