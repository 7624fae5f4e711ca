"""Planted: a public operation without a pattern marker."""

from __future__ import annotations

from infra.interfaces.patterns import local_read
from infra.interfaces.ports import InvoiceMirror


class CollectionsService:
    def __init__(self, invoices: InvoiceMirror) -> None:
        self._invoices = invoices

    @local_read
    def aging_report(self, business_id: int) -> list[int]:
        return self._invoices.aging(business_id)

    def overdue_count(self, business_id: int) -> int:  # planted-violation
        return len(self._invoices.aging(business_id))
