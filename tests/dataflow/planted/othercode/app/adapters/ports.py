"""Ports, with no markers: the configuration says which is which."""

from __future__ import annotations

from typing import Protocol


class ReportStore(Protocol):
    def totals(self, account: str) -> dict[str, int]:
        ...


class LedgerApi(Protocol):
    def post_entry(self, account: str, amount: int) -> str:
        ...
