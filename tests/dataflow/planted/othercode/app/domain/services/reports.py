"""Reports: reads, with one that was meant to be local and is not."""

from __future__ import annotations

from app.adapters.ports import ReportStore
from app.domain.sync import SyncService


class ReportService:
    def __init__(self, store: ReportStore, client_factory: type[SyncService]) -> None:
        self._store = store
        self.sync = client_factory(None)

    def summary(self, account: str) -> dict[str, int]:
        return self._store.totals(account)

    def refreshed_summary(self, account: str) -> dict[str, int]:
        self.sync.pull(account)
        return self._store.totals(account)

    def describe(self) -> str:
        return "reports"
