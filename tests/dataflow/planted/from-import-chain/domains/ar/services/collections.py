"""Planted: `from infra import qbo` at module level, then `qbo.client.get()` in the read."""

from __future__ import annotations

from infra import qbo
from infra.interfaces.patterns import local_read
from infra.interfaces.ports import InvoiceMirror


class CollectionsService:
    def __init__(self, invoices: InvoiceMirror) -> None:
        self._invoices = invoices

    @local_read
    def aging_report(self, business_id: int) -> list[int]:
        qbo.client.get(f"/aging/{business_id}")  # planted-violation
        return self._invoices.aging(business_id)
