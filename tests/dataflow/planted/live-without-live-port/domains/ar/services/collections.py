"""Planted: an operation declared live that only reads the mirror (mis-declared)."""

from __future__ import annotations

from infra.interfaces.patterns import live
from infra.interfaces.ports import InvoiceMirror


class CollectionsService:
    def __init__(self, invoices: InvoiceMirror) -> None:
        self._invoices = invoices

    @live  # planted-violation
    def aging_report(self, business_id: int) -> list[int]:
        return self._invoices.aging(business_id)
