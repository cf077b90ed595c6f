"""Re-planning mid-day: frozen history, cancellations, sent ETAs, locks, vehicles on the road."""

from __future__ import annotations

from hub.routing.model import Problem, Route, RoutePlan, TimeWindow
from hub.routing.replan import DayState, VehicleState, replan
from hub.routing.schedule import earliest_start
from hub.routing.solve import solve
from hub.routing.synthetic import generate_day


def _check_route(problem: Problem, route: Route, start_index: int, start_time: int, frozen: int) -> None:
    """Independent re-simulation of the part of a route after its frozen prefix."""
    v = problem.vehicle(route.vehicle_id)
    dur = problem.duration_matrix(v)
    here, t = start_index, start_time
    for visit in route.visits[frozen:]:
        s = problem.stop(visit.stop_id) if visit.stop_id in {x.id for x in problem.stops} else None
        assert s is not None
        assert visit.service_start >= t + dur[here][s.location_index]
        assert any(w.contains(visit.service_start) for w in s.time_windows)
        assert all(0 <= q <= c for q, c in zip(visit.load_after, v.capacity))
        here, t = s.location_index, visit.service_start + s.service_s
    assert t + dur[here][v.end_index] <= v.shift.end


def _setup() -> tuple[Problem, RoutePlan]:
    problem = generate_day(40, 5, seed=3)
    return problem, solve(problem, time_limit_s=1.0, backend="ortools")


def test_cancel_mid_day_keeps_history_and_locks() -> None:
    problem, plan = _setup()
    busy = sorted((r for r in plan.routes if len(r.visits) >= 4), key=lambda r: -len(r.visits))
    out, other = busy[0], busy[1]
    third = next(r for r in plan.routes if r.vehicle_id not in (out.vehicle_id, other.vehicle_id))
    done = out.visits[:2]
    now = done[-1].departure
    remaining = [problem.stop(v.stop_id) for v in out.visits[2:]]
    on_board = tuple(sum(s.demand[k] for s in remaining) for k in range(problem.n_dims))
    cancelled = other.visits[0].stop_id
    locked = other.visits[1].stop_id
    promised = out.visits[2]
    sent = TimeWindow(promised.service_start - 900, promised.service_start + 900)
    state = DayState(
        vehicles={out.vehicle_id: VehicleState(done[-1].location_index, now, on_board)},
        completed=tuple(v.stop_id for v in done),
        eta_sent={promised.stop_id: sent},
        cancelled=frozenset({cancelled}),
        locks={locked: (third.vehicle_id, None)},
    )
    new = replan(problem, plan, state, time_limit_s=1.0)

    route = new.route_of(out.vehicle_id)
    assert route.visits[:2] == done  # history exactly as it happened
    assert route.start_time == out.start_time
    served = [v.stop_id for r in new.routes for v in r.visits]
    assert cancelled not in served and cancelled not in {u.stop_id for u in new.unassigned}
    assert sorted(served + [u.stop_id for u in new.unassigned]) == sorted(s.id for s in problem.stops if s.id != cancelled)
    assert len(served) == len(set(served))
    assert next(r.vehicle_id for r in new.routes if any(v.stop_id == locked for v in r.visits)) == third.vehicle_id
    # the vehicle on the road keeps the deliveries it carries and takes no one else's
    assert {v.stop_id for v in route.visits[2:]} == {s.id for s in remaining}
    promised_now = next(v for v in route.visits if v.stop_id == promised.stop_id)
    assert sent.contains(promised_now.service_start)
    _check_route(problem, route, done[-1].location_index, now, frozen=2)
    for r in new.routes:
        if r.vehicle_id != out.vehicle_id and r.visits:
            _check_route(problem, r, problem.vehicle(r.vehicle_id).start_index, r.start_time, frozen=0)


def test_new_urgent_stop_and_sequence_lock() -> None:
    problem, plan = _setup()
    r = next(r for r in plan.routes if len(r.visits) >= 3)
    last = r.visits[-1].stop_id
    base = problem.stop(last)
    urgent = base.__class__(id="urgent", location_index=base.location_index, location=base.location,
                            service_s=60, time_windows=(TimeWindow(0, 36_000),), demand=(1000, 1000), priority=3)
    state = DayState(new_stops=(urgent,), locks={last: (r.vehicle_id, 0)})
    new = replan(problem, plan, state, time_limit_s=1.0)
    route = new.route_of(r.vehicle_id)
    assert route.visits[0].stop_id == last
    assert "urgent" in {v.stop_id for x in new.routes for v in x.visits}
    assert earliest_start(urgent, problem.vehicle(r.vehicle_id), 0) == 0
