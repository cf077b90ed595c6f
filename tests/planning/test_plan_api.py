"""The plans API and CLI: plan on request, read, GeoJSON, lock and move stops, errors with paths, PNG."""

from __future__ import annotations

from click.testing import CliRunner

from hub.cli import main
from tests.planning.setup import fleet, noon_offset_min, plan_day, post, post_day, release_scheduled, set_time_limit


def _day(client, tenant, run_jobs, clean, count=12):
    h = tenant["headers"]
    set_time_limit(clean, tenant["id"], 1)
    offset = noon_offset_min()
    setup = fleet(client, h, offset)
    day = plan_day(offset)
    ids = post_day(client, h, day, offset, count=count)
    run_jobs()
    release_scheduled(clean)
    run_jobs()
    return setup, day, ids


def test_plan_on_request_geojson_lock_and_move(client, tenant, run_jobs, clean):
    h = tenant["headers"]
    setup, day, ids = _day(client, tenant, run_jobs, clean)
    depot_id = setup["depot"]["id"]
    queued = client.post("/api/v1/plans", json={"depot_id": depot_id, "date": day.isoformat(), "time_limit_s": 1},
                         headers=h)
    assert queued.status_code == 202 and queued.json["status"] == "queued"
    run_jobs()
    v3 = post(client, h, "/api/v1/plans?wait=true", {"depot_id": depot_id, "date": day.isoformat(), "time_limit_s": 1})
    assert v3["version"] == 3 and v3["status"] == "active"
    stop = v3["routes"][0]["stops"][0]
    assert set(stop) >= {"arrival", "wait_s", "service_start", "departure", "load_after", "state"}
    assert set(v3["routes"][0]) >= {"distance_m", "duration_s", "cost", "driver_id", "stops", "start_load"}
    first = v3["routes"][0]
    chilled_here = ids[0] in [s["delivery_id"] for s in first["stops"]]
    assert first["start_load"]["parcels"] == len(first["stops"]) + chilled_here  # the chilled one has 2 parcels

    geo = client.get(f"/api/v1/plans/{v3['id']}/geojson", headers=h)
    assert geo.status_code == 200 and geo.headers["Content-Type"].startswith("application/geo+json")
    kinds = [f["properties"]["kind"] for f in geo.json["features"]]
    assert kinds.count("route") == len(v3["routes"]) and kinds.count("stop") == len(ids) and kinds.count("depot") == 1

    # Move a dry stop (ids[0] is the chilled one) to a dry van it is not on, as that van's first stop.
    source = next(r for r in v3["routes"] if any(s["delivery_id"] != ids[0] for s in r["stops"]))
    target = next(v["id"] for v in setup["vans"][1:] if v["id"] != source["vehicle_id"])
    moving = next(s["delivery_id"] for s in reversed(source["stops"]) if s["delivery_id"] != ids[0])
    moved = client.post(f"/api/v1/plans/{v3['id']}/stops/{moving}/move?wait=true",
                        json={"vehicle_id": target, "position": 0}, headers=h)
    assert moved.status_code == 201, moved.json
    v4 = moved.json
    assert v4["version"] == 4 and v4["lock"] == {"delivery_id": moving, "vehicle_id": target, "position": 0}
    route = next(r for r in v4["routes"] if r["vehicle_id"] == target)
    assert route["stops"][0]["delivery_id"] == moving
    assert route["stops"][0]["lock"] == {"vehicle_id": target, "position": 0}

    # Lock without a position, in the background.
    other = next(s["delivery_id"] for r in v4["routes"] for s in r["stops"]
                 if s["delivery_id"] not in (moving, ids[0]) and r["vehicle_id"] != target)
    locked = client.post(f"/api/v1/plans/{v4['id']}/stops/{other}/lock", json={"vehicle_id": target}, headers=h)
    assert locked.status_code == 202 and locked.json["lock"]["position"] is None
    run_jobs()
    latest = client.get(f"/api/v1/plans?depot_id={depot_id}", headers=h).json["items"][0]
    v5 = client.get(f"/api/v1/plans/{latest['id']}", headers=h).json
    assert v5["version"] == 5
    assert other in [s["delivery_id"] for r in v5["routes"] if r["vehicle_id"] == target for s in r["stops"]]

    # Errors name the field; older versions cannot be steered.
    stale = client.post(f"/api/v1/plans/{v3['id']}/stops/{moving}/lock", json={"vehicle_id": target}, headers=h)
    assert stale.status_code == 409 and stale.json["error"]["code"] == "stale_plan"
    bad = client.post(f"/api/v1/plans/{v5['id']}/stops/{moving}/move", json={"vehicle_id": "veh_nope", "position": 0},
                      headers=h)
    assert bad.status_code == 422 and bad.json["error"]["details"][0]["path"] == "$.vehicle_id"
    missing = client.post(f"/api/v1/plans/{v5['id']}/stops/{moving}/move", json={"vehicle_id": target}, headers=h)
    assert missing.status_code == 422 and missing.json["error"]["details"][0]["path"] == "$.position"
    assert client.get("/api/v1/plans/rpl_nope", headers=h).status_code == 404
    unknown = client.post("/api/v1/plans", json={"depot_id": "dep_x", "date": "2026-13-01"}, headers=h)
    assert unknown.status_code == 422 and {d["path"] for d in unknown.json["error"]["details"]} == {"$.date"}
    too_long = client.post("/api/v1/plans?wait=true", json={"depot_id": depot_id, "date": day.isoformat(),
                                                           "time_limit_s": 60}, headers=h)
    assert too_long.status_code == 422 and too_long.json["error"]["details"][0]["path"] == "$.time_limit_s"
    replanned = client.post(f"/api/v1/plans/{v5['id']}/replan?wait=true", json={"time_limit_s": 1}, headers=h)
    assert replanned.status_code == 201 and replanned.json["version"] == 6


def test_cli_shows_and_draws_a_plan_and_plans_a_day(client, tenant, run_jobs, clean, tmp_path):
    setup, day, _ = _day(client, tenant, run_jobs, clean, count=8)
    plan_id = client.get("/api/v1/plans", headers=tenant["headers"]).json["items"][0]["id"]
    png = tmp_path / "plan.png"
    result = CliRunner().invoke(main, ["route", "show", plan_id, "--png", str(png)])
    assert result.exit_code == 0, result.output
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert f"Plan {plan_id} v1" in result.output and "load at depot weight_g=" in result.output
    result = CliRunner().invoke(main, ["route", "plan", "--tenant", tenant["name"], "--depot", setup["depot"]["id"],
                                       "--date", day.isoformat(), "--time-limit", "1", "--json"])
    assert result.exit_code == 0, result.output
    assert '"version": 2' in result.output
    result = CliRunner().invoke(main, ["route", "show", "rpl_nope"])
    assert result.exit_code != 0 and "no route plan" in result.output
