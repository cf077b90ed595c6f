"""The status machine's final statuses and the canonical vocabulary's terminal statuses are the same set."""

from __future__ import annotations

from hub.canonical import TERMINAL_STATUSES
from hub.canonical.statuses import TERMINAL, transitions


def test_terminal_statuses_are_the_machines_final_ones() -> None:
    final = {status for status, targets in transitions().items() if not targets}
    assert TERMINAL == final == set(TERMINAL_STATUSES)
