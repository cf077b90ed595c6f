"""The canonical status machine, loaded from status_transitions.yaml (the allowed moves are data)."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import yaml

from hub.canonical.vocabulary import TERMINAL_STATUSES

TRANSITIONS_FILE = Path(__file__).with_name("status_transitions.yaml")
TERMINAL = frozenset(TERMINAL_STATUSES)


class InvalidTransition(Exception):
    def __init__(self, current: str, requested: str) -> None:
        allowed = sorted(transitions().get(current, ()))
        super().__init__(
            f"a delivery that is {current!r} cannot become {requested!r}; "
            f"allowed next: {', '.join(allowed) if allowed else 'none (final status)'}"
        )
        self.current, self.requested, self.allowed = current, requested, allowed


@cache
def _machine() -> tuple[dict[str, frozenset[str]], dict[str, int]]:
    raw = yaml.safe_load(TRANSITIONS_FILE.read_text())
    table = {status: frozenset(targets or ()) for status, targets in raw["transitions"].items()}
    rank = {status: step for step, statuses in enumerate(raw["progress"]) for status in statuses}
    unknown = ({t for targets in table.values() for t in targets} | set(rank)) - set(table)
    if unknown:
        raise ValueError(f"{TRANSITIONS_FILE.name} names unknown statuses: {sorted(unknown)}")
    if unranked := set(table) - set(rank):
        raise ValueError(f"{TRANSITIONS_FILE.name}: progress leaves out {sorted(unranked)}")
    return table, rank


def transitions() -> dict[str, frozenset[str]]:
    return _machine()[0]


def moves_forward(current: str, requested: str) -> bool:
    """Whether `requested` is allowed from `current` and further along (see `progress` in the YAML)."""
    rank = _machine()[1]
    return can_move(current, requested) and rank[requested] > rank[current]


def can_move(current: str, requested: str) -> bool:
    return requested in transitions().get(current, frozenset())


def check_move(current: str, requested: str) -> None:
    if not can_move(current, requested):
        raise InvalidTransition(current, requested)
