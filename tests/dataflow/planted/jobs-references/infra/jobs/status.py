"""Data of the jobs package: an enum, a constant, a record and an exception."""

from __future__ import annotations

import enum
from dataclasses import dataclass

BATCH_SIZE = 500


class JobStatus(enum.Enum):
    IDLE = "idle"
    RUNNING = "running"


@dataclass(frozen=True)
class JobReport:
    business_id: int
    status: JobStatus


class JobFailed(RuntimeError):
    pass


def run_now(business_id: int) -> None:
    """A job function: calling it from a domain operation starts a sync."""
