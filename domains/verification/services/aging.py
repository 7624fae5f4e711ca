"""The cross-check of the mirror against QuickBooks' own books: AP and AR aging, bucket by bucket.

``verify_aging`` is Pattern 2 (live read): it ages the mirror's open bills and invoices (local ports,
``BillMirror.aging`` and ``InvoiceMirror.aging``) and asks QBO for its own ``AgedPayables`` and
``AgedReceivables`` reports aged to the same day in the same buckets (the live port,
``QboGateway.aging_report``), then names every bucket whose totals differ. A difference means the mirror
no longer holds what QBO holds (a missed change, a corrupted row, a mapping error): every answer the
product derives from that ledger is then suspect, so the check is worth running after a sync. What it
answers (``AgingVerification``) is in ``domains.verification.comparison``.
"""

from __future__ import annotations

from datetime import date

from domains.core.aging import AGING_BUCKETS, AGING_PERIOD_DAYS, AGING_PERIODS, bucket_name
from domains.core.clock import Clock
from domains.core.errors import LiveDataUnavailable, NotFound
from domains.core.freshness import FreshnessReader
from domains.core.money import ZERO
from domains.verification.comparison import LEDGER_NAMES, AgingVerification, BucketComparison
from infra.interfaces.errors import QboError, QboReconnectRequired, RecordNotFound
from infra.interfaces.patterns import live
from infra.interfaces.ports import BillMirror, BusinessDirectory, InvoiceMirror, QboGateway
from infra.interfaces.records import AgingBucketTotal, AgingLedger, BusinessRecord, Entity, ReportedAging

_MIRROR_ENTITIES = {AgingLedger.PAYABLES: Entity.BILL, AgingLedger.RECEIVABLES: Entity.INVOICE}


class AgingVerificationService:
    """Compares the mirror's AP and AR aging with QBO's own aging reports (Pattern 2, live read).

    Contract: ``verify_aging(business_id, as_of)`` ages both sides to ``as_of`` (default: today) in the
    buckets Current, 1-30, 31-60, 61-90 and 91 and over (days past due; QBO's default aging), and answers
    every bucket of both ledgers with both totals; it writes nothing. Raises ``NotFound`` for an unknown
    business and ``LiveDataUnavailable`` when QBO cannot be asked (unreachable, throttled, to be
    reconnected, or an answer that is not an aging report).

    Like with like: the mirror holds balances as last synced, QBO's report the balances on ``as_of``, so
    only an ``as_of`` on or after the last sync compares the same documents. QBO's aging also counts what
    the mirror's leaves out (unapplied payments and credits, documents dated after ``as_of``): a company
    holding those shows them as differences, which is what they are.
    """

    def __init__(self, directory: BusinessDirectory, bills: BillMirror, invoices: InvoiceMirror,
                 freshness: FreshnessReader, clock: Clock, gateway: QboGateway | None = None) -> None:
        self._directory = directory
        self._bills = bills
        self._invoices = invoices
        self._freshness = freshness
        self._clock = clock
        self._gateway = gateway

    @live
    def verify_aging(self, business_id: int, as_of: date | None = None) -> AgingVerification:
        """The mirror's AP and AR aging next to QBO's ``AgedPayables`` and ``AgedReceivables``, bucket by
        bucket; ``differences`` names each bucket that does not match to the cent."""
        if self._gateway is None:
            raise RuntimeError("AgingVerificationService was built without a QBO gateway: live reads are not wired")
        try:
            business = self._directory.get_business(business_id)
        except RecordNotFound as exc:
            raise NotFound("business", business_id) from exc
        day = as_of or self._clock.today()
        mirrored = {AgingLedger.PAYABLES: self._bills.aging(business_id, day, AGING_BUCKETS),
                    AgingLedger.RECEIVABLES: self._invoices.aging(business_id, day, AGING_BUCKETS)}
        buckets: list[BucketComparison] = []
        problems: list[str] = []
        for ledger in (AgingLedger.PAYABLES, AgingLedger.RECEIVABLES):
            reported = self._report(business, ledger, day)
            if reported.as_of != day:
                problems.append(f"{LEDGER_NAMES[ledger]}: QBO aged its {reported.report_name} report to "
                                f"{reported.as_of.isoformat()}, not {day.isoformat()}")
            buckets.extend(_compare(ledger, mirrored[ledger], reported))
        freshness = self._freshness.of(business_id, tuple(_MIRROR_ENTITIES.values()), self._clock.now())
        return AgingVerification(business, day, tuple(buckets), freshness, tuple(problems))

    def _report(self, business: BusinessRecord, ledger: AgingLedger, day: date) -> ReportedAging:
        assert self._gateway is not None
        try:
            return self._gateway.aging_report(business, ledger, day, period_days=AGING_PERIOD_DAYS,
                                              periods=AGING_PERIODS)
        except QboReconnectRequired as exc:
            raise LiveDataUnavailable("QuickBooks must be reconnected for this company") from exc
        except QboError as exc:
            raise LiveDataUnavailable(f"QuickBooks' aging report could not be read: {exc.message}",
                                      retry_after_seconds=getattr(exc, "retry_after_seconds", None)) from exc


def _compare(ledger: AgingLedger, mirrored: list[AgingBucketTotal], reported: ReportedAging
             ) -> list[BucketComparison]:
    """One comparison per bucket of the domain's aging, then one per QBO bucket the mirror does not age."""
    mirror_by_range = {(row.min_days, row.max_days): row.total for row in mirrored}
    qbo_by_range = {(bucket.min_days, bucket.max_days): bucket.total for bucket in reported.buckets}
    ranges = [(lo, hi) for _, lo, hi in AGING_BUCKETS]
    ranges += [key for key in qbo_by_range if key not in ranges]
    return [BucketComparison(ledger, bucket_name(lo, hi), lo, hi,
                             mirror_by_range.get((lo, hi), ZERO) if (lo, hi) in _DOMAIN_RANGES else None,
                             qbo_by_range.get((lo, hi)))
            for lo, hi in ranges]


_DOMAIN_RANGES = frozenset((lo, hi) for _, lo, hi in AGING_BUCKETS)
