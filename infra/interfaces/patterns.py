"""The data-flow pattern markers and the run-time guard, as Runway's layers import them.

They live in ``archguard.patterns`` (the architecture suite's own distribution, standard library only);
this module re-exports them so domains and infra keep importing from ``infra.interfaces`` and the
guard's state (mode, operation stack, port registry) is the same object whichever name is used.
Runway's patterns: ``@local_read`` answers from the mirror; ``@local_write`` writes the mirror's own
bookkeeping (tokens, idempotency records, sync requests, advisors); ``@live`` reaches QuickBooks Online
through a live port; ``@sync_job`` marks the background jobs of ``infra.jobs``.
"""

from archguard.patterns import (
    PATTERN_ATTRIBUTE,
    GuardMode,
    LiveCallInLocalRead,
    Operation,
    Pattern,
    current_operation,
    governing_local_operation,
    governing_local_read,
    guard_live_call,
    guard_mode,
    live,
    live_port,
    local_port,
    local_read,
    local_write,
    operation_stack,
    pattern_of,
    port_pattern,
    set_guard_mode,
    sync_job,
)

__all__ = [
    "PATTERN_ATTRIBUTE",
    "GuardMode",
    "LiveCallInLocalRead",
    "Operation",
    "Pattern",
    "current_operation",
    "governing_local_operation",
    "governing_local_read",
    "guard_live_call",
    "guard_mode",
    "live",
    "live_port",
    "local_port",
    "local_read",
    "local_write",
    "operation_stack",
    "pattern_of",
    "port_pattern",
    "set_guard_mode",
    "sync_job",
]
