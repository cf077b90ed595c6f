"""Which events cause which work (hub/outbox/kinds.py): conditions spare only rows whose job would do nothing."""

from __future__ import annotations

from hub.outbox.kinds import triggers_for


def _kinds(event_type: str, data: dict) -> set[str]:
    return {t.kind for t in triggers_for(event_type, data)}


def test_a_first_assignment_to_a_carrier_asks_for_no_route_plan() -> None:
    assert "plan_routes" not in _kinds("delivery.assigned", {"capacity": "carrier", "attempt": 1})


def test_own_fleet_assignments_and_later_attempts_reach_the_planner() -> None:
    assert "plan_routes" in _kinds("delivery.assigned", {"capacity": "own_fleet", "attempt": 1})
    # A second attempt may take the delivery off the plan an own-fleet assignment put it on.
    assert "plan_routes" in _kinds("delivery.assigned", {"capacity": "carrier", "attempt": 2})
    assert "plan_routes" in _kinds("delivery.assigned", {"capacity": "carrier"})  # an event that does not say
    assert "plan_routes" in _kinds("delivery.status_changed", {"status": "cancelled"})
