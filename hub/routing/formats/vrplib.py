"""Read VRPLIB CVRP / VRPTW files (TSPLIB-style header + sections) into a `Problem`.

Supported: `CAPACITY`, `VEHICLES` (optional; default one per customer), `EDGE_WEIGHT_TYPE: EUC_2D`
(exact Euclidean, scaled like Solomon and rounded UP for travel times), `NODE_COORD_SECTION`,
`DEMAND_SECTION`, `TIME_WINDOW_SECTION`, `SERVICE_TIME_SECTION`, `DEPOT_SECTION` (first depot used).
Stops are named by their node number in the file.
"""

from __future__ import annotations

from pathlib import Path

from hub.routing.formats.solomon import DEFAULT_SCALE, ParseError, euclid_matrices
from hub.routing.model import Depot, Location, Problem, Stop, TimeWindow, Vehicle

SECTIONS = ("NODE_COORD_SECTION", "DEMAND_SECTION", "TIME_WINDOW_SECTION", "SERVICE_TIME_SECTION", "DEPOT_SECTION")


def parse_vrplib(text: str, source: str = "<text>", scale: int = DEFAULT_SCALE) -> Problem:
    header: dict[str, str] = {}
    rows: dict[str, list[tuple[int, list[float]]]] = {s: [] for s in SECTIONS}
    section = ""
    for no, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line == "EOF":
            continue
        key = line.split(":")[0].strip().upper()
        if key in SECTIONS:
            section = key
            continue
        if ":" in line and not section:
            k, v = line.split(":", 1)
            header[k.strip().upper()] = v.strip()
            continue
        if not section:
            raise ParseError(source, no, f"expected 'KEY : value' or a section name, got {line!r}")
        try:
            nums = [float(f) for f in line.split()]
        except ValueError:
            raise ParseError(source, no, f"expected numbers in {section}, got {line!r}") from None
        if section == "DEPOT_SECTION":
            if nums[0] >= 0:
                rows[section].append((no, nums))
            continue
        expected = {"NODE_COORD_SECTION": 3, "DEMAND_SECTION": 2, "TIME_WINDOW_SECTION": 3,
                    "SERVICE_TIME_SECTION": 2}[section]
        if len(nums) != expected:
            raise ParseError(source, no, f"{section} rows need {expected} numbers, got {len(nums)}")
        rows[section].append((no, nums))

    ewt = header.get("EDGE_WEIGHT_TYPE", "EUC_2D").upper()
    if ewt != "EUC_2D":
        raise ParseError(source, 1, f"EDGE_WEIGHT_TYPE {ewt} not supported (only EUC_2D)")
    if "CAPACITY" not in header:
        raise ParseError(source, 1, "missing CAPACITY")
    coords = rows["NODE_COORD_SECTION"]
    if not coords:
        raise ParseError(source, 1, "missing NODE_COORD_SECTION")
    n = int(header.get("DIMENSION", len(coords)))
    ids = [int(r[0]) for _, r in coords]
    if ids != list(range(1, n + 1)):
        raise ParseError(source, coords[0][0], f"nodes must be numbered 1..{n} in order")

    def column(sec: str, default: list[float]) -> list[list[float]]:
        got = {int(r[0]): r[1:] for _, r in rows[sec]}
        return [got.get(i, default) for i in range(1, n + 1)]

    demand = column("DEMAND_SECTION", [0])
    service = column("SERVICE_TIME_SECTION", [0])
    windows = column("TIME_WINDOW_SECTION", [])
    depot_node = int(rows["DEPOT_SECTION"][0][1][0]) if rows["DEPOT_SECTION"] else 1
    d = depot_node - 1
    points = [(r[1], r[2]) for _, r in coords]
    dur, dist = euclid_matrices(points, scale)
    horizon = TimeWindow(round(windows[d][0] * scale), round(windows[d][1] * scale)) if windows[d] else TimeWindow(0, 10**12)
    capacity = int(float(header["CAPACITY"]))
    n_veh = int(header.get("VEHICLES", n - 1))
    vehicles = tuple(Vehicle(f"v{k + 1}", d, d, (capacity,), horizon) for k in range(n_veh))
    stops = tuple(
        Stop(
            id=str(i + 1), location_index=i, location=Location.xy(*points[i]), service_s=round(service[i][0] * scale),
            time_windows=(TimeWindow(round(windows[i][0] * scale), round(windows[i][1] * scale)),) if windows[i] else (),
            demand=(int(demand[i][0]),),
        )
        for i in range(n) if i != d
    )
    depot = Depot(str(depot_node), d, Location.xy(*points[d]), horizon)
    return Problem((depot,), vehicles, stops, dur, dist, dimension_names=("demand",),
                   name=header.get("NAME", ""), scale=scale)


def read_vrplib(path: str | Path, scale: int = DEFAULT_SCALE) -> Problem:
    p = Path(path)
    try:
        text = p.read_text()
    except OSError as exc:
        raise ParseError(str(p), 0, f"cannot read file: {exc.strerror or exc}") from None
    return parse_vrplib(text, str(p), scale)
