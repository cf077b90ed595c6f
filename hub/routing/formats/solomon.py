"""Read Solomon VRPTW text files into a `Problem`.

Format: a name line, a VEHICLE block (NUMBER, CAPACITY), a CUSTOMER block with one row per customer
(CUST NO., XCOORD., YCOORD., DEMAND, READY TIME, DUE DATE, SERVICE TIME); customer 0 is the depot.
Travel time = Euclidean distance. Integers for the solvers are `scale` ticks per file unit, travel
times rounded UP so that a plan feasible in ticks is feasible with exact doubles.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

from hub.routing.model import Depot, Location, Problem, Stop, TimeWindow, Vehicle

# 1000 ticks per Solomon unit: ceil() then adds at most 0.001 per arc, far below any window slack
# that matters, while totals (< 1e4 units * 1e3) stay tiny next to int64.
DEFAULT_SCALE = 1000


class ParseError(ValueError):
    """A file that is not what it claims to be; names the file and the line."""

    def __init__(self, path: str, line: int, message: str) -> None:
        super().__init__(f"{path}:{line}: {message}")
        self.path = path
        self.line = line


@dataclass(frozen=True)
class Customer:
    number: int
    x: float
    y: float
    demand: int
    ready: int
    due: int
    service: int


@dataclass(frozen=True)
class SolomonInstance:
    name: str
    vehicles: int
    capacity: int
    customers: tuple[Customer, ...]  # customers[0] is the depot

    @property
    def depot(self) -> Customer:
        return self.customers[0]


def parse_solomon(text: str, source: str = "<text>") -> SolomonInstance:
    lines = text.splitlines()
    name = ""
    vehicles = capacity = -1
    customers: list[Customer] = []
    section = ""
    for no, raw in enumerate(lines, start=1):
        line = raw.strip()
        if not line:
            continue
        upper = line.upper()
        if not name:
            name = line
            continue
        if upper.startswith("VEHICLE"):
            section = "vehicle"
            continue
        if upper.startswith("CUSTOMER"):
            section = "customer"
            continue
        if upper.startswith("NUMBER") or upper.startswith("CUST"):
            continue
        fields = line.split()
        try:
            nums = [float(f) for f in fields]
        except ValueError:
            raise ParseError(source, no, f"expected numbers, got {line!r}") from None
        if section == "vehicle":
            if len(nums) != 2:
                raise ParseError(source, no, "VEHICLE block needs NUMBER and CAPACITY")
            vehicles, capacity = int(nums[0]), int(nums[1])
        elif section == "customer":
            if len(nums) != 7:
                raise ParseError(source, no, f"customer row needs 7 numbers, got {len(nums)}")
            num, x, y, dem, ready, due, serv = nums
            if int(num) != len(customers):
                raise ParseError(source, no, f"customer {int(num)} out of order (expected {len(customers)})")
            if due < ready:
                raise ParseError(source, no, f"due date {due} before ready time {ready}")
            customers.append(Customer(int(num), x, y, int(dem), int(ready), int(due), int(serv)))
        else:
            raise ParseError(source, no, f"unexpected line before VEHICLE/CUSTOMER: {line!r}")
    if vehicles <= 0 or capacity <= 0:
        raise ParseError(source, len(lines), "missing VEHICLE NUMBER/CAPACITY")
    if len(customers) < 2:
        raise ParseError(source, len(lines), "needs a depot (customer 0) and at least one customer")
    return SolomonInstance(name, vehicles, capacity, tuple(customers))


def read_solomon(path: str | Path) -> SolomonInstance:
    p = Path(path)
    try:
        text = p.read_text()
    except OSError as exc:
        raise ParseError(str(p), 0, f"cannot read file: {exc.strerror or exc}") from None
    return parse_solomon(text, str(p))


def euclid_matrices(points: list[tuple[float, float]], scale: int) -> tuple[list[list[int]], list[list[int]]]:
    """(durations rounded up, distances rounded to nearest) in ticks."""
    n = len(points)
    dur = [[0] * n for _ in range(n)]
    dist = [[0] * n for _ in range(n)]
    for i, (xi, yi) in enumerate(points):
        di, ti = dist[i], dur[i]
        for j, (xj, yj) in enumerate(points):
            if i != j:
                d = math.hypot(xi - xj, yi - yj) * scale
                ti[j] = math.ceil(d - 1e-9)  # guard against 2.0000000001 from float noise on exact ints
                di[j] = round(d)
    return dur, dist


def to_problem(inst: SolomonInstance, scale: int = DEFAULT_SCALE) -> Problem:
    """Stops are named by customer number ("1".."100"); matrix index = customer number."""
    dep = inst.depot
    dur, dist = euclid_matrices([(c.x, c.y) for c in inst.customers], scale)
    horizon = TimeWindow(dep.ready * scale, dep.due * scale)
    depot = Depot("0", 0, Location.xy(dep.x, dep.y), horizon)
    vehicles = tuple(
        Vehicle(id=f"v{k + 1}", start_index=0, end_index=0, capacity=(inst.capacity,), shift=horizon, cost_per_km=1.0)
        for k in range(inst.vehicles)
    )
    stops = tuple(
        Stop(
            id=str(c.number),
            location_index=c.number,
            location=Location.xy(c.x, c.y),
            service_s=c.service * scale,
            time_windows=(TimeWindow(c.ready * scale, c.due * scale),),
            demand=(c.demand,),
        )
        for c in inst.customers[1:]
    )
    return Problem(
        depots=(depot,), vehicles=vehicles, stops=stops, durations=dur, distances=dist,
        dimension_names=("demand",), name=inst.name, scale=scale,
    )
