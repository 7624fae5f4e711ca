"""Aging buckets shared by receivables and payables: days past due, inclusive ranges."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from domains.core.money import ZERO
from infra.interfaces.records import AgingBucketTotal

#: The buckets are QBO's own default aging (its AgedPayables / AgedReceivables reports): Current, then
#: ``AGING_PERIODS`` periods of ``AGING_PERIOD_DAYS`` days past due, the last one open-ended.
AGING_PERIOD_DAYS = 30
AGING_PERIODS = 4

# (label, min days past due, max days past due); None min = not yet due, None max = no upper bound.
AGING_BUCKETS: tuple[tuple[str, int | None, int | None], ...] = (
    ("current", None, 0),
    ("1-30", 1, 30),
    ("31-60", 31, 60),
    ("61-90", 61, 90),
    ("90+", 91, None),
)


@dataclass(frozen=True, slots=True)
class AgingReport:
    buckets: list[AgingBucketTotal]

    @property
    def total(self) -> Decimal:
        return sum((b.total for b in self.buckets), ZERO)

    @property
    def count(self) -> int:
        return sum(b.count for b in self.buckets)

    def bucket(self, label: str) -> AgingBucketTotal:
        return next(b for b in self.buckets if b.label == label)


def complete_buckets(rows: list[AgingBucketTotal]) -> AgingReport:
    """Every bucket in order, empty ones included, whatever the mirror returned."""
    by_label = {row.label: row for row in rows}
    return AgingReport([
        by_label.get(label, AgingBucketTotal(label, lo, hi, 0, ZERO)) for label, lo, hi in AGING_BUCKETS
    ])


def bucket_name(min_days: int | None, max_days: int | None) -> str:
    """A bucket as QBO's aging reports title it: ``Current``, ``1-30``, ..., ``91 and over``."""
    if min_days is None:
        return "Current"
    if max_days is None:
        return f"{min_days} and over"
    return f"{min_days}-{max_days}"
