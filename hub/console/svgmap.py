"""Drawing a depot's day as inline SVG: pure functions from latitude/longitude to the picture's coordinates.

Web Mercator (the projection of every web map's tiles), so an optional tile server's images line up under the
routes. A city fits in one picture without visible distortion.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

LatLng = tuple[float, float]
TILE_PX = 256
WIDTH = 1000  # the viewBox width; the height follows the area's shape
PAD = 40  # room for markers and labels at the edges
MIN_SPAN = 0.002  # about 200 m: a single point still gets a sensible zoom
# Distinct on white and for the common colour-vision deficiencies (Okabe-Ito), one per vehicle.
PALETTE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000")


def mercator(point: LatLng) -> tuple[float, float]:
    """(lat, lng) -> world coordinates in [0, 1] x [0, 1], y growing southwards."""
    lat = max(-85.0511, min(85.0511, point[0]))
    x = (point[1] + 180.0) / 360.0
    sin = math.sin(math.radians(lat))
    y = 0.5 - math.log((1 + sin) / (1 - sin)) / (4 * math.pi)
    return x, y


@dataclass(frozen=True)
class Frame:
    """Where the world square [0, 1]^2 sits in the picture: scale and offset, and the picture's size."""

    scale: float
    left: float
    top: float
    width: int
    height: int

    def xy(self, point: LatLng) -> tuple[float, float]:
        x, y = mercator(point)
        return round((x - self.left) * self.scale + PAD, 1), round((y - self.top) * self.scale + PAD, 1)


def frame(points: Iterable[LatLng], width: int = WIDTH) -> Frame | None:
    """The frame that shows every point with PAD to spare; None when there is nothing to show."""
    world = [mercator(p) for p in points]
    if not world:
        return None
    xs, ys = [p[0] for p in world], [p[1] for p in world]
    span_x = max(max(xs) - min(xs), MIN_SPAN / 360.0)
    span_y = max(max(ys) - min(ys), MIN_SPAN / 360.0)
    scale = (width - 2 * PAD) / max(span_x, span_y * 1.6)  # a wide picture: screens are wider than tall
    left = (min(xs) + max(xs)) / 2 - (width - 2 * PAD) / scale / 2
    height = int(math.ceil(span_y * scale + 2 * PAD))
    return Frame(scale=scale, left=left, top=min(ys), width=width, height=max(height, 200))


def path(frame_: Frame, points: Sequence[LatLng]) -> str:
    return " ".join(f"{x},{y}" for x, y in (frame_.xy(p) for p in points))


def tiles(frame_: Frame, template: str) -> list[dict[str, float | str]]:
    """The tile images under the picture, at the zoom whose tiles are closest to 256 picture units wide."""
    zoom = max(0, min(19, round(math.log2(frame_.scale / TILE_PX))))
    count = 2 ** zoom
    size = frame_.scale / count
    first_x = int(math.floor(frame_.left * count - PAD / size))
    first_y = int(math.floor(frame_.top * count - PAD / size))
    last_x = int(math.floor((frame_.left + frame_.width / frame_.scale) * count))
    last_y = int(math.floor((frame_.top + frame_.height / frame_.scale) * count))
    out: list[dict[str, float | str]] = []
    for tx in range(first_x, last_x + 1):
        for ty in range(max(0, first_y), min(count - 1, last_y) + 1):
            out.append({"href": template.format(z=zoom, x=tx % count, y=ty),
                        "x": round((tx / count - frame_.left) * frame_.scale + PAD, 1),
                        "y": round((ty / count - frame_.top) * frame_.scale + PAD, 1), "size": round(size, 1)})
    return out
