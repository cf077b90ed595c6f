"""Where the hub connects: one guard for every outbound request (store and carrier APIs, carrier proof
images, webhooks, OSRM). Public addresses only unless allowed, pinned, every redirect checked, one deadline,
a size cap, answers from outside summarised, never echoed. docs/security.md, "Where the hub connects"."""

from hub.egress.answers import describe, summary
from hub.egress.policy import allows_private
from hub.egress.session import AnswerTooLarge, GuardedSession, guarded_session
from hub.egress.targets import TargetRefused, check_target, is_public

__all__ = ["AnswerTooLarge", "GuardedSession", "TargetRefused", "allows_private", "check_target", "describe",
           "guarded_session", "is_public", "summary"]
