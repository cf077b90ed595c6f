"""The hub's own map: every point it is given lands inside the picture, and it marks only the destination and
the driver (the corners of the line, other customers' stops, get no marker)."""

from __future__ import annotations

import re

from hub.customer.mapdraw import HEIGHT, WIDTH, draw_map

DESTINATION = (52.5163, 13.3777)
LINE = [(52.5219, 13.4132), (52.5225, 13.4020)]
DRIVER = (52.5250, 13.3690)


def test_points_fit_and_only_destination_and_driver_are_marked() -> None:
    svg = str(draw_map(DESTINATION, driver=DRIVER, line=LINE, title="Map"))
    points = re.search(r'<polyline points="([^"]+)"', svg).group(1).split()  # type: ignore[union-attr]
    assert len(points) == 4  # driver, two corners, destination
    for point in points:
        x, y = map(float, point.split(","))
        assert 0 <= x <= WIDTH and 0 <= y <= HEIGHT
    assert svg.count("<circle") == 3 and svg.count('class="map-destination"') == 1  # pin dot + driver's two rings


def test_without_the_driver_only_the_destination_and_no_line() -> None:
    svg = str(draw_map(DESTINATION, title="Map with your address"))
    assert "polyline" not in svg and "map-driver" not in svg and "<title id=\"map-title\">Map with your address" in svg


def test_tiles_come_from_the_tenant_server_only_when_set() -> None:
    assert "<image" not in str(draw_map(DESTINATION))
    tiled = str(draw_map(DESTINATION, driver=DRIVER, tile_url="https://tiles.example/{z}/{x}/{y}.png"))
    tiles = re.findall(r'href="https://tiles\.example/(\d+)/(\d+)/(\d+)\.png"', tiled)
    assert tiles and len({z for z, _, _ in tiles}) == 1
