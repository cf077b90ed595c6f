"""The demo prints every time as Berlin wall time, without seconds or microseconds."""

from __future__ import annotations

from hub.demo.fleet import berlin_time


def test_times_from_the_hub_print_as_berlin_wall_time():
    assert berlin_time("2026-12-07T09:15:42.123456Z") == "07 Dec 10:15"  # an event time (UTC, microseconds)
    assert berlin_time("2026-07-07T10:15:00+02:00") == "07 Jul 10:15"  # a plan time at the depot's offset
    assert berlin_time("?") == "?" and berlin_time(None) == "None"  # not a time: shown as it is
