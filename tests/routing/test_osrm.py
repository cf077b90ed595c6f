"""The OSRM table client against a real HTTP stand-in (pytest-httpserver) speaking OSRM's table API."""

from __future__ import annotations

import json
import re
import socket
import time
from datetime import datetime

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from hub.errors import classify_exception
from hub.routing.matrix import UNREACHABLE, SpeedProfile
from hub.routing.osrm import OsrmError, OsrmTableProvider

TABLE = re.compile(r"^/table/v1/[a-z]+/.+$")

# Points on the equator one hundredth of a degree apart; the stand-in prices travel from longitudes.
POINTS = [(0.0, i / 100) for i in range(5)]


def fake_osrm(unreachable_lng: float | None = None):
    """An OSRM-like table: duration = |dlng| x 100 000 + 0.4 s, distance = |dlng| x 1 000 000 + 0.2 m.

    Honours `sources`/`destinations`; a point at `unreachable_lng` gets null rows and columns."""
    requests_seen: list[Request] = []

    def handler(request: Request) -> Response:
        requests_seen.append(request)
        coords = [tuple(map(float, c.split(","))) for c in request.path.split("/", 4)[4].split(";")]
        if request.args.get("annotations") != "duration,distance":
            return Response(json.dumps({"code": "InvalidOptions", "message": "annotations"}), status=400)
        everything = ";".join(str(i) for i in range(len(coords)))
        src = [int(i) for i in request.args.get("sources", everything).split(";")]
        dst = [int(i) for i in request.args.get("destinations", everything).split(";")]

        def cell(i: int, j: int, per_degree: float, extra: float) -> float | None:
            if unreachable_lng is not None and unreachable_lng in (coords[i][0], coords[j][0]) and i != j:
                return None
            return 0.0 if i == j else abs(coords[i][0] - coords[j][0]) * per_degree + extra

        body = {
            "code": "Ok",
            "durations": [[cell(i, j, 100_000, 0.4) for j in dst] for i in src],
            "distances": [[cell(i, j, 1_000_000, 0.2) for j in dst] for i in src],
        }
        return Response(json.dumps(body), content_type="application/json")

    return handler, requests_seen


def test_single_request_parses_and_rounds_up(httpserver: HTTPServer) -> None:
    handler, seen = fake_osrm()
    httpserver.expect_request(TABLE).respond_with_handler(handler)
    m = OsrmTableProvider(httpserver.url_for("/")).matrices(POINTS[:3], "van")
    assert len(seen) == 1
    assert seen[0].path == "/table/v1/driving/0.000000,0.000000;0.010000,0.000000;0.020000,0.000000"
    assert "sources" not in seen[0].args
    assert m.durations_s == [[0, 1001, 2001], [1001, 0, 1001], [2001, 1001, 0]]
    assert m.distances_m == [[0, 10001, 20001], [10001, 0, 10001], [20001, 10001, 0]]


def test_chunked_requests_stitch_into_the_same_matrix(httpserver: HTTPServer) -> None:
    handler, seen = fake_osrm()
    httpserver.expect_request(TABLE).respond_with_handler(handler)
    whole = OsrmTableProvider(httpserver.url_for("/")).matrices(POINTS, "van")
    seen.clear()
    chunked = OsrmTableProvider(httpserver.url_for("/"), chunk_size=2).matrices(POINTS, "van")
    assert len(seen) == 9  # blocks [0,1] [2,3] [4] as sources x destinations
    assert max(len(r.args["sources"].split(";")) * len(r.args["destinations"].split(";")) for r in seen) == 4
    assert chunked == whole
    assert chunked.durations_s[0][4] == 4001


def test_null_cells_become_the_unreachable_sentinel(httpserver: HTTPServer) -> None:
    handler, _ = fake_osrm(unreachable_lng=0.02)
    httpserver.expect_request(TABLE).respond_with_handler(handler)
    m = OsrmTableProvider(httpserver.url_for("/")).matrices(POINTS[:3], "van")
    assert m.durations_s[0][2] == UNREACHABLE and m.durations_s[2][1] == UNREACHABLE
    assert m.distances_m[2][0] == UNREACHABLE
    assert m.durations_s[0][1] == 1001 and m.durations_s[2][2] == 0


def test_vehicle_type_maps_to_server_profile_and_rush_hour_slows(httpserver: HTTPServer) -> None:
    handler, seen = fake_osrm()
    httpserver.expect_request(TABLE).respond_with_handler(handler)
    provider = OsrmTableProvider(
        httpserver.url_for("/"), profiles={"bike": "cycling"}, speed_profile=SpeedProfile()
    )
    m = provider.matrices(POINTS[:2], "bike", datetime(2024, 5, 2, 8, 0))
    assert seen[0].path.startswith("/table/v1/cycling/")
    assert m.durations_s[0][1] == 1430  # 1000.4 s / 0.7, rounded up
    assert m.distances_m[0][1] == 10001


def test_error_code_is_a_permanent_error(httpserver: HTTPServer) -> None:
    httpserver.expect_request(TABLE).respond_with_json(
        {"code": "NoSegment", "message": "Could not find a matching segment for coordinate 1"}, status=400
    )
    with pytest.raises(OsrmError, match="NoSegment") as info:
        OsrmTableProvider(httpserver.url_for("/")).matrices(POINTS[:2], "van")
    assert info.value.kind == "permanent" and info.value.code == "NoSegment" and info.value.status == 400


def test_not_ok_code_in_a_200_is_an_error(httpserver: HTTPServer) -> None:
    httpserver.expect_request(TABLE).respond_with_json({"code": "TooBig", "message": "Too many table coordinates"})
    with pytest.raises(OsrmError, match="TooBig"):
        OsrmTableProvider(httpserver.url_for("/")).matrices(POINTS[:2], "van")


def test_missing_distances_is_an_error(httpserver: HTTPServer) -> None:
    httpserver.expect_request(TABLE).respond_with_json({"code": "Ok", "durations": [[0, 1], [1, 0]]})
    with pytest.raises(OsrmError, match="no 'distances'"):
        OsrmTableProvider(httpserver.url_for("/")).matrices(POINTS[:2], "van")


def test_server_errors_are_transient(httpserver: HTTPServer) -> None:
    httpserver.expect_request(TABLE).respond_with_data("<html>Bad gateway</html>", status=502)
    with pytest.raises(OsrmError, match="HTTP 502") as info:
        OsrmTableProvider(httpserver.url_for("/")).matrices(POINTS[:2], "van")
    assert info.value.transient is True and info.value.status == 502
    assert classify_exception(info.value) == "transient"


def test_rate_limit_carries_retry_after_and_auth_failure_is_configuration(httpserver: HTTPServer) -> None:
    httpserver.expect_ordered_request(TABLE).respond_with_json(
        {"code": "TooManyRequests", "message": "slow down"}, status=429, headers={"Retry-After": "7"}
    )
    httpserver.expect_ordered_request(TABLE).respond_with_data("unauthorized", status=401)
    provider = OsrmTableProvider(httpserver.url_for("/"))
    with pytest.raises(OsrmError, match="HTTP 429: TooManyRequests slow down") as info:
        provider.matrices(POINTS[:2], "van")
    assert info.value.kind == "transient" and info.value.retry_after_s == 7.0
    with pytest.raises(OsrmError, match="HTTP 401") as info:
        provider.matrices(POINTS[:2], "van")
    assert info.value.kind == "configuration" and classify_exception(info.value) == "configuration"


def test_timeout_is_transient(httpserver: HTTPServer) -> None:
    def slow(request: Request) -> Response:
        time.sleep(0.5)
        return Response("{}", content_type="application/json")

    httpserver.expect_request(TABLE).respond_with_handler(slow)
    with pytest.raises(OsrmError, match="timed out") as info:
        OsrmTableProvider(httpserver.url_for("/"), timeout_s=0.1).matrices(POINTS[:2], "van")
    assert info.value.transient is True


def test_connection_refused_is_transient() -> None:
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(OsrmError, match="cannot reach") as info:
        OsrmTableProvider(f"http://127.0.0.1:{port}").matrices(POINTS[:2], "van")
    assert info.value.transient is True


def test_empty_point_list_needs_no_request(httpserver: HTTPServer) -> None:
    m = OsrmTableProvider(httpserver.url_for("/")).matrices([], "van")
    assert m.durations_s == [] and len(httpserver.log) == 0
