"""The nightly import of bank statements, and its data."""

from __future__ import annotations

import enum

from archguard.patterns import sync_job

MAX_LINES = 10_000


class RunState(enum.Enum):
    IDLE = "idle"
    RUNNING = "running"


@sync_job
def import_statements(account: str) -> int:
    return 0
