"""Benchmark variants that look like real days, generated deterministically from a Solomon instance.

- `plain`: the instance as published.
- `features`: every second vehicle has `cold_chain`; every customer whose number is divisible by 3 needs it.
- `locks`: the first two stops of every route of a given plan (the hub's own `plain` solution) are locked
  to their vehicle and position: a re-plan at mid-morning.
- `breaks`: every vehicle takes one 30-unit break (minutes in Solomon's units), starting anywhere between
  40 % and 60 % of the depot's horizon.
- `windows`: every fifth customer has a second window of the same width, shifted by half the horizon
  (later if it still opens inside the horizon, else earlier), clipped to the horizon.
"""

from __future__ import annotations

from dataclasses import replace

from hub.routing.formats.solomon import SolomonInstance, to_problem
from hub.routing.model import Break, Problem, RoutePlan, TimeWindow

VARIANTS = ("plain", "features", "locks", "breaks", "windows")
COLD = "cold_chain"
# 30 Solomon time units: read as minutes, the break a driver on a shift over six hours must take.
BREAK_UNITS = 30
# Breaks start between these shares of the depot's horizon: mid-shift, where a driver really stops.
BREAK_FROM, BREAK_TO = 0.4, 0.6
LOCKED_PREFIX = 2  # stops already committed per route at a mid-morning re-plan


def features(problem: Problem) -> Problem:
    vehicles = tuple(replace(v, features=frozenset({COLD})) if k % 2 == 1 else v
                     for k, v in enumerate(problem.vehicles))
    stops = tuple(replace(s, required_features=frozenset({COLD})) if int(s.id) % 3 == 0 else s
                  for s in problem.stops)
    return replace(problem, vehicles=vehicles, stops=stops, name=f"{problem.name}/features")


def locks(problem: Problem, plan: RoutePlan) -> Problem:
    """Lock the first LOCKED_PREFIX stops of every route of `plan` (a plan of `problem`)."""
    locked: dict[str, tuple[str, int]] = {}
    for r in plan.routes:
        for pos, v in enumerate(r.visits[:LOCKED_PREFIX]):
            locked[v.stop_id] = (r.vehicle_id, pos)
    stops = tuple(replace(s, locked_vehicle=locked[s.id][0], locked_sequence=locked[s.id][1]) if s.id in locked else s
                  for s in problem.stops)
    return replace(problem, stops=stops, name=f"{problem.name}/locks")


def breaks(problem: Problem) -> Problem:
    horizon = problem.depots[0].time_window or problem.vehicles[0].shift
    span = horizon.end - horizon.start
    window = TimeWindow(horizon.start + round(BREAK_FROM * span), horizon.start + round(BREAK_TO * span))
    brk = Break(window, BREAK_UNITS * problem.scale)
    vehicles = tuple(replace(v, breaks=(brk,)) for v in problem.vehicles)
    return replace(problem, vehicles=vehicles, name=f"{problem.name}/breaks")


def windows(problem: Problem) -> Problem:
    horizon = problem.depots[0].time_window or problem.vehicles[0].shift
    half = (horizon.end - horizon.start) // 2
    stops = []
    for s in problem.stops:
        if int(s.id) % 5 == 0 and s.time_windows:
            w = s.time_windows[0]
            shift = half if w.start + half <= horizon.end else -half
            second = TimeWindow(max(horizon.start, w.start + shift), min(horizon.end, w.end + shift))
            s = replace(s, time_windows=(w, second))
        stops.append(s)
    return replace(problem, stops=tuple(stops), name=f"{problem.name}/windows")


def make(instance: SolomonInstance, variant: str, plain_plan: RoutePlan | None = None) -> Problem:
    """The variant's problem; `locks` needs the plain instance's plan to lock its prefixes."""
    problem = to_problem(instance)
    if variant == "plain":
        return problem
    if variant == "features":
        return features(problem)
    if variant == "locks":
        if plain_plan is None:
            raise ValueError("the locks variant needs a plan of the plain instance")
        return locks(problem, plain_plan)
    if variant == "breaks":
        return breaks(problem)
    if variant == "windows":
        return windows(problem)
    raise ValueError(f"unknown variant {variant!r}; choose one of {', '.join(VARIANTS)}")
