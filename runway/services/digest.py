"""The weekly digest of one client, and the runway figures behind it.

Everything comes from the mirror (Pattern 1). Only when the caller asks for it (``live_cash=True``) and QBO
is wired does the digest read the bank balances live (Pattern 2, through
``BalanceService.current_cash_position``); when QBO cannot answer it then uses the mirrored balances and
says so (``cash_source``, ``cash_fallback_reason``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from domains.ap.services.bill import BillService
from domains.ap.services.payment import PaymentService
from domains.ar.services.collections import CollectionsService, OverdueInvoice
from domains.bank.services.balance import BalanceService, CashPosition
from domains.core.clock import Clock
from domains.core.freshness import Answer, Freshness, combine
from domains.portfolio.services.overview import PortfolioService
from infra.interfaces.patterns import live, local_read
from infra.interfaces.records import BillRecord, BusinessRecord, CashFlowTotals, OpenAmountSummary
from runway.figures import BURN_WINDOW_DAYS, RunwayFigures, compute_runway

DIGEST_DAYS = 7
TOP_ITEMS = 5


@dataclass(frozen=True, slots=True)
class WeeklyDigest:
    business: BusinessRecord
    as_of: date
    runway: RunwayFigures
    cash_source: str
    ar: OpenAmountSummary
    ap: OpenAmountSummary
    last_week: CashFlowTotals
    bills_due_this_week: list[BillRecord]
    invoices_to_chase: list[OverdueInvoice]
    freshness: Freshness
    cash_fallback_reason: str | None = None


class RunwayService:
    """Runway and weekly digest of one client business.

    Contract: ``runway`` reads only the mirror; ``weekly_digest`` reads only the mirror unless it is called
    with ``live_cash=True``, when its cash figure comes from QBO (with a fallback to the mirror it reports).
    Both raise ``NotFound`` for an unknown business and report the freshness of the oldest data they used.
    """

    def __init__(self, portfolio: PortfolioService, bills: BillService, payments: PaymentService,
                 collections: CollectionsService, balances: BalanceService, clock: Clock) -> None:
        self._portfolio = portfolio
        self._bills = bills
        self._payments = payments
        self._collections = collections
        self._balances = balances
        self._clock = clock

    @local_read
    def runway(self, business_id: int) -> Answer[RunwayFigures]:
        """Runway figures of one client (see ``runway.figures`` for the formula)."""
        self._portfolio.get_business(business_id)
        return self._runway(business_id, self._collections.ar_summary(business_id, DIGEST_DAYS),
                            self._bills.ap_summary(business_id, DIGEST_DAYS))

    @live
    def weekly_digest(self, business_id: int, *, live_cash: bool = False) -> WeeklyDigest:
        """The client's week: runway, AR and AP, money moved in the last 7 days, bills due in the next 7
        days and the invoices most worth chasing, all from the mirror. ``live_cash=True`` reads the bank
        balances from QBO instead when QBO is wired; the digest says where its cash figure came from and
        why it fell back, if it did."""
        business = self._portfolio.get_business(business_id)
        ar = self._collections.ar_summary(business_id, DIGEST_DAYS)
        ap = self._bills.ap_summary(business_id, DIGEST_DAYS)
        fallback_reason = None
        if live_cash and self._balances.live_enabled:
            live = self._balances.current_cash_position(business_id)
            cash = Answer(live.position, live.freshness)
            cash_source, fallback_reason = live.source, live.fallback_reason
        else:
            cash, cash_source = self._balances.mirrored_cash_position(business_id), "mirror"
        runway = self._runway(business_id, ar, ap, cash)
        last_week = self._payments.cash_flow(business_id, DIGEST_DAYS)
        due = self._bills.bills_due_within(business_id, DIGEST_DAYS, limit=TOP_ITEMS)
        chase = self._collections.overdue_invoices(business_id, limit=TOP_ITEMS)
        freshness = combine(runway.freshness, last_week.freshness, due.freshness, chase.freshness)
        return WeeklyDigest(business, self._clock.today(), runway.data, cash_source, ar.data, ap.data,
                            last_week.data, due.data, chase.data, freshness, fallback_reason)

    def _runway(self, business_id: int, ar: Answer[OpenAmountSummary], ap: Answer[OpenAmountSummary],
                cash: Answer[CashPosition] | None = None) -> Answer[RunwayFigures]:
        cash = cash or self._balances.mirrored_cash_position(business_id)
        flow = self._payments.cash_flow(business_id, BURN_WINDOW_DAYS)
        figures = compute_runway(cash=cash.data.total, open_ar=ar.data.open_total, open_ap=ap.data.open_total,
                                 paid_in_window=flow.data.paid, received_in_window=flow.data.received)
        return Answer(figures, combine(cash.freshness, ar.freshness, ap.freshness, flow.freshness))
