"""Travel matrices from an OSRM-compatible table service (the only routing module doing I/O).

`GET {base}/table/v1/{profile}/{lng,lat;lng,lat;...}?annotations=duration,distance` returns
`{"code": "Ok", "durations": [[s]], "distances": [[m]]}` with null where no route exists.
Large point sets are cut into blocks of sources x destinations so each request stays inside the
server's table size limit; the blocks are stitched back into one matrix.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

import requests

from hub.egress import guarded_session
from hub.errors import ErrorKind, HubError, classify_status, retry_after_s
from hub.routing.matrix import UNREACHABLE, IntMatrix, LatLng, Matrices, SpeedProfile, ceil_int, validate_points

# osrm-routed's default --max-table-size is 100, checked as sources x destinations <= 100 x 100;
# a 100 x 100 block is the largest request a default server accepts.
DEFAULT_CHUNK_SIZE = 100

# A 100 x 100 table answers in well under a second on a local server; 30 s covers a cold or remote
# one without letting a planning job hang on a dead connection.
DEFAULT_TIMEOUT_S = 30.0

# Connecting takes milliseconds when the server is up; a few seconds means it is not.
CONNECT_TIMEOUT_S = 5.0

# Six decimals of a degree is ~0.1 m, finer than any road snapping.
_COORD_FORMAT = "{lng:.6f},{lat:.6f}"


class OsrmError(HubError):
    """The routing server could not give us a matrix.

    `kind` follows hub.errors: transient for failures worth retrying later (timeouts, connection
    errors, 408/429/5xx), configuration for 401/403 (a hosted server's key), permanent for what a
    retry will not fix (bad query, a point off the road network). `code` is OSRM's error code."""

    def __init__(self, message: str, *, code: str = "", kind: ErrorKind = "permanent", status: int | None = None,
                 retry_after: float | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.kind = kind
        self.status = status
        self.retry_after_s = retry_after

    @property
    def transient(self) -> bool:
        return self.kind == "transient"


class OsrmTableProvider:
    """A `MatrixProvider` backed by an OSRM (or OSRM-compatible) server.

    `profiles` maps a hub vehicle type to the server's profile name; unmapped types use `profile`.
    OSRM tables are free-flow; pass `speed_profile` to slow them down at rush hours."""

    def __init__(
        self,
        base_url: str,
        profile: str = "driving",
        session: requests.Session | None = None,
        *,
        profiles: Mapping[str, str] | None = None,
        chunk_size: int = DEFAULT_CHUNK_SIZE,
        timeout_s: float = DEFAULT_TIMEOUT_S,
        speed_profile: SpeedProfile | None = None,
    ) -> None:
        if chunk_size < 1:
            raise ValueError(f"chunk_size must be >= 1: {chunk_size}")
        self.base_url = base_url.rstrip("/")
        self.profile = profile
        # The egress guard by default: a base URL can come from settings an owner controls. An operator's own
        # OSRM on the hub's network is reached with HUB_ALLOW_PRIVATE_WEBHOOK_TARGETS or a session passed in.
        self.session = session or guarded_session(deadline_s=timeout_s + CONNECT_TIMEOUT_S)
        self.profiles = dict(profiles or {})
        self.chunk_size = chunk_size
        self.timeout_s = timeout_s
        self.speed_profile = speed_profile

    def matrices(
        self, points: Sequence[LatLng], vehicle_type: str, depart_at: datetime | None = None
    ) -> Matrices:
        validate_points(points)
        n = len(points)
        durations: IntMatrix = [[0] * n for _ in range(n)]
        distances: IntMatrix = [[0] * n for _ in range(n)]
        if n == 0:
            return Matrices(durations, distances)
        profile = self.profiles.get(vehicle_type, self.profile)
        slowdown = 1.0 / self.speed_profile.multiplier(depart_at) if self.speed_profile else 1.0
        blocks = [range(start, min(n, start + self.chunk_size)) for start in range(0, n, self.chunk_size)]
        for sources in blocks:
            for destinations in blocks:
                self._fill_block(points, profile, sources, destinations, durations, distances, slowdown)
        for i in range(n):
            durations[i][i] = distances[i][i] = 0
        return Matrices(durations_s=durations, distances_m=distances)

    # ------------------------------------------------------------------ one request

    def _fill_block(
        self,
        points: Sequence[LatLng],
        profile: str,
        sources: range,
        destinations: range,
        durations: IntMatrix,
        distances: IntMatrix,
        slowdown: float,
    ) -> None:
        whole = len(sources) == len(points) and len(destinations) == len(points)
        indices = sorted(set(sources) | set(destinations))
        position = {idx: pos for pos, idx in enumerate(indices)}
        coords = ";".join(_COORD_FORMAT.format(lat=points[i][0], lng=points[i][1]) for i in indices)
        query = "annotations=duration,distance"
        if not whole:
            query += "&sources=" + ";".join(str(position[i]) for i in sources)
            query += "&destinations=" + ";".join(str(position[j]) for j in destinations)
        body = self._get(f"{self.base_url}/table/v1/{profile}/{coords}?{query}")
        dur_rows = _table(body, "durations", len(sources), len(destinations))
        dist_rows = _table(body, "distances", len(sources), len(destinations))
        for r, i in enumerate(sources):
            for c, j in enumerate(destinations):
                d = dur_rows[r][c]
                m = dist_rows[r][c]
                durations[i][j] = UNREACHABLE if d is None else min(UNREACHABLE, ceil_int(d * slowdown))
                distances[i][j] = UNREACHABLE if m is None else min(UNREACHABLE, ceil_int(m))

    def _get(self, url: str) -> dict[str, Any]:
        try:
            resp = self.session.get(url, timeout=(CONNECT_TIMEOUT_S, self.timeout_s))
        except requests.Timeout as exc:
            raise OsrmError(f"routing server timed out after {self.timeout_s:g} s: {exc}", kind="transient") from exc
        except requests.ConnectionError as exc:
            raise OsrmError(f"cannot reach routing server at {self.base_url}: {exc}", kind="transient") from exc
        try:
            body = resp.json()
        except ValueError:
            body = None
        status = resp.status_code
        code = body.get("code", "") if isinstance(body, dict) else ""
        message = body.get("message", "") if isinstance(body, dict) else resp.text[:200]
        kind = classify_status(status)
        if kind is not None:
            detail = f"{code} {message}".strip()
            raise OsrmError(f"routing server answered HTTP {status}: {detail}", code=code, kind=kind, status=status,
                            retry_after=retry_after_s(resp.headers))
        if not isinstance(body, dict):
            raise OsrmError(f"routing server answer is not a JSON object (HTTP {status})", status=status)
        if code != "Ok":
            raise OsrmError(f"routing server answered code {code!r}: {message}", code=str(code), status=status)
        return body


def _table(body: dict[str, Any], key: str, rows: int, cols: int) -> list[list[float | None]]:
    table = body.get(key)
    if table is None:
        raise OsrmError(f"routing server returned no {key!r}; it must support annotations=duration,distance",
                        code="NoAnnotation")
    if len(table) != rows or any(len(row) != cols for row in table):
        raise OsrmError(f"routing server returned {key!r} of the wrong shape, expected {rows}x{cols}", code="BadShape")
    return table
