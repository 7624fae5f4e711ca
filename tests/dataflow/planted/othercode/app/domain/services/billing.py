"""Billing: a write to the ledger API."""

from __future__ import annotations

from app.adapters.ports import LedgerApi, ReportStore
from app.jobs import nightly


class BillingService:
    def __init__(self, ledger: LedgerApi, store: ReportStore) -> None:
        self._ledger = ledger
        self._store = store

    def charge(self, account: str, amount: int) -> str:
        return self._ledger.post_entry(account, amount)

    def close_month(self, account: str) -> None:
        self._store.totals(account)
        nightly.refresh_all()
