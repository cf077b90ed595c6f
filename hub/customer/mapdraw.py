"""The tracking page's map, drawn by the hub as inline SVG: Web Mercator, fitted to the points it shows. Pure.

It shows the destination, and when the driver is close enough the driver's position and the line still to drive.
The line's corners are other customers' stops, so they get no marker and no label; an optional tile server
(tenant setting `tile_url`) lays map tiles under it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from markupsafe import Markup, escape

LatLng = tuple[float, float]
WIDTH, HEIGHT = 360, 220  # the SVG's own units; CSS scales it to the page's width
PAD = 28  # keeps markers whole at the edges
TILE = 256
# Street level: a single point (only the destination) is shown at this zoom, and no fit zooms in further.
MAX_ZOOM = 16
MIN_ZOOM = 3


def world(point: LatLng, zoom: int) -> tuple[float, float]:
    """Web Mercator pixel coordinates of a point at a zoom level (256-pixel tiles)."""
    lat = max(-85.05112878, min(85.05112878, point[0]))
    scale = TILE * (2 ** zoom)
    x = (point[1] + 180.0) / 360.0 * scale
    s = math.sin(math.radians(lat))
    y = (0.5 - math.log((1 + s) / (1 - s)) / (4 * math.pi)) * scale
    return x, y


def fit_zoom(points: Sequence[LatLng]) -> int:
    xs, ys = zip(*(world(p, 0) for p in points))
    span_x, span_y = max(xs) - min(xs), max(ys) - min(ys)
    fits = []
    for span, room in ((span_x, WIDTH - 2 * PAD), (span_y, HEIGHT - 2 * PAD)):
        if span > 0:
            fits.append(math.floor(math.log2(room / span)))
    return max(MIN_ZOOM, min([MAX_ZOOM, *fits]))


def _n(value: float) -> str:
    return f"{value:.1f}"


def draw_map(destination: LatLng, *, driver: LatLng | None = None, line: Sequence[LatLng] = (),
             tile_url: str | None = None, title: str = "Map") -> Markup:
    """The SVG: tiles (if any), the remaining line, the driver's dot and the destination pin."""
    points = [destination, *([driver] if driver else []), *line]
    zoom = fit_zoom(points)
    xs, ys = zip(*(world(p, zoom) for p in points))
    left = (min(xs) + max(xs)) / 2 - WIDTH / 2
    top = (min(ys) + max(ys)) / 2 - HEIGHT / 2

    def at(point: LatLng) -> tuple[float, float]:
        x, y = world(point, zoom)
        return x - left, y - top

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
             f'aria-labelledby="map-title" class="map-svg"><title id="map-title">{escape(title)}</title>',
             f'<rect width="{WIDTH}" height="{HEIGHT}" fill="#eef2f5"/>']
    if tile_url:
        for tx in range(math.floor(left / TILE), math.floor((left + WIDTH) / TILE) + 1):
            for ty in range(math.floor(top / TILE), math.floor((top + HEIGHT) / TILE) + 1):
                if 0 <= ty < 2 ** zoom:
                    href = tile_url.replace("{z}", str(zoom)).replace("{x}", str(tx % 2 ** zoom)).replace("{y}", str(ty))
                    parts.append(f'<image href="{escape(href)}" x="{_n(tx * TILE - left)}" y="{_n(ty * TILE - top)}" '
                                 f'width="{TILE}" height="{TILE}"/>')
    else:  # a faint grid so an empty map still reads as a map
        grid = "".join(f"M{gx} 0V{HEIGHT}" for gx in range(0, WIDTH + 1, 40)) + \
            "".join(f"M0 {gy}H{WIDTH}" for gy in range(0, HEIGHT + 1, 40))
        parts.append(f'<path d="{grid}" stroke="#dde3e8" stroke-width="1" fill="none"/>')
    path = ([driver] if driver else []) + list(line) + [destination]
    if driver and len(path) > 1:
        coords = " ".join(f"{_n(x)},{_n(y)}" for x, y in map(at, path))
        parts.append(f'<polyline points="{coords}" fill="none" stroke="#1f5fbf" stroke-width="4" '
                     f'stroke-linecap="round" stroke-linejoin="round" stroke-dasharray="8 6" class="map-line"/>')
    dx, dy = at(destination)
    parts.append(f'<g class="map-destination"><path d="M{_n(dx)},{_n(dy)} l-9,-15 a11,11 0 1,1 18,0 z" '
                 f'fill="#c62828" stroke="#ffffff" stroke-width="2"/>'
                 f'<circle cx="{_n(dx)}" cy="{_n(dy - 19)}" r="4" fill="#ffffff"/></g>')
    if driver:
        vx, vy = at(driver)
        parts.append(f'<g class="map-driver"><circle cx="{_n(vx)}" cy="{_n(vy)}" r="11" fill="#1f5fbf" '
                     f'fill-opacity="0.25"/><circle cx="{_n(vx)}" cy="{_n(vy)}" r="6" fill="#1f5fbf" '
                     f'stroke="#ffffff" stroke-width="2"/></g>')
    parts.append("</svg>")
    return Markup("".join(parts))
