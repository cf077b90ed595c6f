"""Assignment: which own-fleet depot or carrier takes a delivery. `assign` is pure (see engine.py)."""

from hub.assignment.engine import RULES, STRATEGIES, assign, consume, facts_of
from hub.assignment.model import (
    Candidate, Capacity, Coverage, Decision, Evaluation, Override, Policy, PriceCard, Quality, Weights,
)
from hub.assignment.policy import policy_from_document, validate_policy

__all__ = [
    "RULES", "STRATEGIES", "Candidate", "Capacity", "Coverage", "Decision", "Evaluation", "Override", "Policy",
    "PriceCard", "Quality", "Weights", "assign", "consume", "facts_of", "policy_from_document", "validate_policy",
]
