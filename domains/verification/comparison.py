"""What the aging cross-check answers: each bucket of AP and AR as the mirror and as QBO total it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from domains.core.freshness import Freshness
from domains.core.money import CENT
from infra.interfaces.records import AgingLedger, BusinessRecord

#: How each ledger is named in what the check reports.
LEDGER_NAMES = {AgingLedger.PAYABLES: "AP", AgingLedger.RECEIVABLES: "AR"}


@dataclass(frozen=True, slots=True)
class BucketComparison:
    """One aging bucket of one ledger, as the mirror and as QBO total it.

    ``mirror`` (``qbo``) is None when that side has no such bucket at all: QBO aged in other buckets.
    """

    ledger: AgingLedger
    bucket: str
    min_days: int | None
    max_days: int | None
    mirror: Decimal | None
    qbo: Decimal | None

    @property
    def matches(self) -> bool:
        return self.mirror is not None and self.qbo is not None and _cents(self.mirror) == _cents(self.qbo)

    @property
    def difference(self) -> Decimal | None:
        """Mirror minus QBO; None when one side has no such bucket."""
        if self.mirror is None or self.qbo is None:
            return None
        return _cents(self.mirror) - _cents(self.qbo)

    def describe(self) -> str:
        """``AP 31-60: mirror 1,234.50, QBO 1,200.00 (mirror +34.50)``."""
        where = f"{LEDGER_NAMES[self.ledger]} {self.bucket}"
        if self.mirror is None:
            return f"{where}: QBO {self.qbo:,.2f} in a bucket the mirror does not age"
        if self.qbo is None:
            return f"{where}: mirror {self.mirror:,.2f}, and QBO's report has no such bucket"
        text = f"{where}: mirror {_cents(self.mirror):,.2f}, QBO {_cents(self.qbo):,.2f}"
        return text if self.matches else f"{text} (mirror {self.difference:+,.2f})"


@dataclass(frozen=True, slots=True)
class AgingVerification:
    """The outcome of one cross-check: every bucket of AP then AR, and what did not line up.

    ``problems`` holds what is wrong with the comparison itself (QBO aged to another day than asked);
    ``freshness`` is that of the mirror's Bill and Invoice syncs the mirror side was read from.
    """

    business: BusinessRecord
    as_of: date
    buckets: tuple[BucketComparison, ...]
    freshness: Freshness
    problems: tuple[str, ...] = ()

    @property
    def differences(self) -> list[BucketComparison]:
        """Every bucket whose totals differ, AP first, in bucket order."""
        return [bucket for bucket in self.buckets if not bucket.matches]

    @property
    def ok(self) -> bool:
        return not self.differences and not self.problems

    def describe_differences(self) -> list[str]:
        return [*self.problems, *(bucket.describe() for bucket in self.differences)]


def _cents(amount: Decimal) -> Decimal:
    return amount.quantize(CENT)
