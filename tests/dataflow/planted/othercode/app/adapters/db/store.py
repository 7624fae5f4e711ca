"""The local database (a local package)."""

from __future__ import annotations


class SqlReportStore:
    def totals(self, account: str) -> dict[str, int]:
        return {account: 0}
