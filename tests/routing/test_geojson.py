"""GeoJSON export of a plan: [lng, lat] coordinates, one line per route, one point per stop."""

from __future__ import annotations

import json

from routing_plan_fixtures import berlin_plan, berlin_problem

from hub.routing.formats.geojson import ROUTE_COLORS, plan_to_geojson


def by_kind(fc: dict, kind: str) -> list[dict]:
    return [f for f in fc["features"] if f["properties"]["kind"] == kind]


def test_one_line_per_used_route_in_lng_lat_order() -> None:
    fc = plan_to_geojson(berlin_problem(), berlin_plan())
    assert fc["type"] == "FeatureCollection" and fc["name"] == "berlin"
    lines = by_kind(fc, "route")
    assert [f["properties"]["vehicle"] for f in lines] == ["north", "south"]  # the idle vehicle has no line
    north = lines[0]
    assert north["geometry"]["type"] == "LineString"
    assert north["geometry"]["coordinates"] == [[13.405, 52.52], [13.39, 52.53], [13.42, 52.535], [13.405, 52.52]]
    props = north["properties"]
    assert (props["distance_m"], props["duration_s"], props["cost"], props["stop_count"]) == (5400, 1200, 5.4, 2)
    assert props["color"] == props["stroke"] == ROUTE_COLORS[0]
    assert lines[1]["properties"]["color"] == ROUTE_COLORS[1]
    assert props["start"] == "2024-05-02T08:00:00+02:00" and props["end"] == "2024-05-02T08:20:00+02:00"


def test_stop_points_carry_sequence_and_eta() -> None:
    fc = plan_to_geojson(berlin_problem(), berlin_plan())
    stops = {f["properties"]["stop_id"]: f for f in by_kind(fc, "stop")}
    assert set(stops) == {"s1", "s2", "s3"}
    s2 = stops["s2"]
    assert s2["geometry"] == {"type": "Point", "coordinates": [13.42, 52.535]}
    assert s2["properties"]["sequence"] == 2 and s2["properties"]["vehicle"] == "north"
    assert s2["properties"]["arrival_s"] == 700
    assert s2["properties"]["eta"] == "2024-05-02T08:11:40+02:00"
    assert stops["s3"]["properties"]["marker-color"] == ROUTE_COLORS[1]


def test_unassigned_and_depot_points() -> None:
    fc = plan_to_geojson(berlin_problem(), berlin_plan())
    dropped = {f["properties"]["stop_id"]: f["properties"] for f in by_kind(fc, "unassigned")}
    assert dropped["s4"]["reason"] == "window_unreachable" and dropped["s4"]["message"] == "closes at 09:00"
    assert dropped["s5"]["reason_text"] == "the stop's demand exceeds every vehicle's capacity"
    depots = by_kind(fc, "depot")
    assert len(depots) == 1 and depots[0]["geometry"]["coordinates"] == [13.405, 52.52]


def test_is_plain_json_without_origin() -> None:
    from dataclasses import replace

    problem = replace(berlin_problem(), origin=None)
    fc = json.loads(json.dumps(plan_to_geojson(problem, berlin_plan())))
    assert all(f["properties"]["eta"] is None for f in by_kind(fc, "stop"))
    assert len(fc["features"]) == 1 + 2 + 3 + 2  # depot, routes, stops, unassigned
