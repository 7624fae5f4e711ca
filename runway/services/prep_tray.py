"""The prep tray: what an advisor should do next for one client, most urgent first. Pattern 1 only.

Two kinds of action come from the mirror:
- pay a bill: the payment-ready selection (smallest first) under a cash cap of
  ``cash - safety buffer``, where the buffer is ``SAFETY_BUFFER_DAYS`` of the average daily bill
  payments over the burn window, among bills due within ``PAY_HORIZON_DAYS`` (overdue ones included);
- chase an invoice: overdue invoices with their collection priority.
Priorities: an overdue bill is high, a bill due within 7 days medium, later low; an invoice keeps its
collection priority. Actions sort by priority, then by amount, largest first.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from domains.ap.services.bill import BillService
from domains.ap.services.payment import PaymentService
from domains.ar.services.collections import CollectionsService
from domains.bank.services.balance import BalanceService
from domains.core.clock import Clock
from domains.core.freshness import Freshness, combine
from domains.core.money import ZERO, per_day
from domains.portfolio.services.overview import PortfolioService
from infra.interfaces.patterns import local_read
from runway.figures import BURN_WINDOW_DAYS

SAFETY_BUFFER_DAYS = 14
PAY_HORIZON_DAYS = 14
MAX_CHASE_ACTIONS = 20

PRIORITY_ORDER = {"critical": 0, "high": 1, "medium": 2, "low": 3}


class ActionKind(enum.StrEnum):
    PAY_BILL = "pay_bill"
    CHASE_INVOICE = "chase_invoice"


@dataclass(frozen=True, slots=True)
class TrayAction:
    kind: ActionKind
    priority: str
    title: str
    amount: Decimal
    qbo_id: str
    counterparty: str | None
    due_date: date | None
    days_overdue: int
    reason: str


@dataclass(frozen=True, slots=True)
class PrepTray:
    business_id: int
    cash_cap: Decimal
    actions: list[TrayAction]
    freshness: Freshness

    @property
    def to_pay_total(self) -> Decimal:
        return sum((a.amount for a in self.actions if a.kind is ActionKind.PAY_BILL), ZERO)

    @property
    def to_collect_total(self) -> Decimal:
        return sum((a.amount for a in self.actions if a.kind is ActionKind.CHASE_INVOICE), ZERO)


class PrepTrayService:
    """Builds a client's prep tray from the mirror (Pattern 1).

    Contract: reads only the mirror; raises ``NotFound`` for an unknown business; the tray's freshness
    is that of the oldest data it used.
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
    def prep_tray(self, business_id: int) -> PrepTray:
        self._portfolio.get_business(business_id)
        today = self._clock.today()
        cash = self._balances.mirrored_cash_position(business_id)
        flow = self._payments.cash_flow(business_id, BURN_WINDOW_DAYS)
        buffer = per_day(flow.data.paid, BURN_WINDOW_DAYS) * SAFETY_BUFFER_DAYS
        cap = max(ZERO, cash.data.total - buffer).quantize(Decimal("0.01"))
        ready = self._bills.payment_ready_bills(business_id, cap, due_within_days=PAY_HORIZON_DAYS)
        chase = self._collections.overdue_invoices(business_id, limit=MAX_CHASE_ACTIONS)

        actions: list[TrayAction] = []
        for bill in ready.data.bills:
            days_overdue = (today - bill.due_date).days if bill.due_date and bill.due_date < today else 0
            if days_overdue:
                priority, reason = "high", f"{days_overdue} days overdue"
            elif bill.due_date and (bill.due_date - today).days <= 7:
                priority, reason = "medium", f"due {bill.due_date.isoformat()}"
            else:
                priority, reason = "low", f"due {bill.due_date.isoformat() if bill.due_date else 'any time'}"
            actions.append(TrayAction(ActionKind.PAY_BILL, priority,
                                      f"Pay bill {bill.doc_number or bill.qbo_id}", bill.balance, bill.qbo_id,
                                      bill.vendor_name, bill.due_date, days_overdue, reason))
        for item in chase.data:
            inv = item.invoice
            actions.append(TrayAction(ActionKind.CHASE_INVOICE, item.priority.value,
                                      f"Chase invoice {inv.doc_number or inv.qbo_id}", inv.balance, inv.qbo_id,
                                      inv.customer_name, inv.due_date, item.days_overdue,
                                      f"{item.days_overdue} days overdue"))
        actions.sort(key=lambda a: (PRIORITY_ORDER[a.priority], -a.amount, a.kind.value, a.qbo_id))
        return PrepTray(business_id, cap, actions,
                        combine(cash.freshness, flow.freshness, ready.freshness, chase.freshness))
