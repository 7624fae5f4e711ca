"""Bank balances: the business's cash position. Pattern 1 (mirrored balances) in this module."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from domains.core.clock import Clock
from domains.core.freshness import Answer, FreshnessReader
from domains.core.money import ZERO
from infra.interfaces.ports import BankMirror
from infra.interfaces.records import AccountRecord, Entity


@dataclass(frozen=True, slots=True)
class CashPosition:
    accounts: list[AccountRecord]

    @property
    def total(self) -> Decimal:
        return sum((a.current_balance for a in self.accounts), ZERO)


class BalanceService:
    """The business's cash in its bank accounts.

    Contract: ``mirrored_cash_position`` reads the balances as last synced (Pattern 1) and never goes
    to QuickBooks; its freshness is that of the Account sync.
    """

    def __init__(self, bank: BankMirror, freshness: FreshnessReader, clock: Clock) -> None:
        self._bank = bank
        self._freshness = freshness
        self._clock = clock

    def mirrored_cash_position(self, business_id: int) -> Answer[CashPosition]:
        """Active bank accounts and their balances from the last Account sync."""
        accounts = self._bank.bank_accounts(business_id)
        return Answer(CashPosition(accounts),
                      self._freshness.of(business_id, (Entity.ACCOUNT,), self._clock.now()))
