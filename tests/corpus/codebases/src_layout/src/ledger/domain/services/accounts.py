"""Accounts: reads and writes of the journal, one live reconciliation."""

from __future__ import annotations

from decimal import Decimal

from archguard.patterns import live, local_read, local_write
from ledger.adapters import bank
from ledger.jobs.nightly import MAX_LINES, RunState, import_statements
from ledger.ports import BankFeed, Journal


class AccountService:
    def __init__(self, journal: Journal, feed: BankFeed) -> None:
        self._journal = journal
        self._feed = feed

    @local_read
    def balance(self, account: str) -> Decimal:
        return self._journal.balance(account)

    @local_write
    def deposit(self, account: str, amount: Decimal) -> None:
        self._journal.post(account, amount)

    @live
    def reconcile(self, account: str) -> Decimal:
        lines = self._feed.statement(account)[:MAX_LINES]
        return sum(lines, Decimal(0)) - self._journal.balance(account)

    @local_read
    def import_state(self, account: str) -> RunState:
        return RunState.IDLE if self._journal.balance(account) else RunState.RUNNING

    @local_read
    def bank_balance(self, account: str) -> Decimal:
        return bank.latest_balance(account)  # planted-violation

    @local_write
    def refresh(self, account: str) -> int:
        return import_statements(account)  # planted-violation
