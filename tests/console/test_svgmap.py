"""The live map's drawing (pure): Web Mercator into the picture, every point inside it, tiles that line up."""

from __future__ import annotations

from hub.console import svgmap
from hub.console.plans import tile_template

BERLIN = [(52.5250, 13.3690), (52.5219, 13.4132), (52.5070, 13.3904), (52.5300, 13.3770)]


def test_every_point_lands_inside_the_picture_north_up_east_right() -> None:
    frame = svgmap.frame(BERLIN)
    assert frame is not None and frame.width == svgmap.WIDTH
    points = [frame.xy(p) for p in BERLIN]
    for x, y in points:
        assert svgmap.PAD - 0.1 <= x <= frame.width - svgmap.PAD + 0.1
        assert svgmap.PAD - 0.1 <= y <= frame.height - svgmap.PAD + 0.1
    hbf, alex, friedrich, invaliden = points
    assert alex[0] > hbf[0]  # Alexanderplatz is east of the Hauptbahnhof
    assert friedrich[1] > invaliden[1]  # Friedrichstraße 43 is south of Invalidenstraße
    assert svgmap.path(frame, BERLIN[:2]) == f"{hbf[0]},{hbf[1]} {alex[0]},{alex[1]}"


def test_one_point_or_none() -> None:
    assert svgmap.frame([]) is None
    single = svgmap.frame([(52.52, 13.40)])
    assert single is not None and single.height >= 200


def test_tiles_cover_the_picture_at_a_fitting_zoom() -> None:
    frame = svgmap.frame(BERLIN)
    tiles = svgmap.tiles(frame, "https://tiles.example/{z}/{x}/{y}.png")
    assert tiles and all(str(t["href"]).startswith("https://tiles.example/") for t in tiles)
    zoom = {str(t["href"]).split("/")[3] for t in tiles}
    assert len(zoom) == 1 and 12 <= int(zoom.pop()) <= 16  # a city
    assert min(t["x"] for t in tiles) <= 0 and max(float(t["x"]) + float(t["size"]) for t in tiles) >= frame.width - svgmap.PAD


def test_the_tile_server_is_a_tenant_setting_off_by_default() -> None:
    assert tile_template({}) is None and tile_template(None) is None
    assert tile_template({"console": {"map_tiles": "http://plain.example/{z}/{x}/{y}.png"}}) is None  # https only
    assert tile_template({"console": {"map_tiles": "https://t.example/{z}/{x}/{y}.png"}}) == "https://t.example/{z}/{x}/{y}.png"
