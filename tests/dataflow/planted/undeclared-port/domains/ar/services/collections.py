"""Planted: a local_read uses a port that declares neither local_port nor live_port."""

from __future__ import annotations

from infra.interfaces.patterns import local_read
from infra.interfaces.ports import CreditMirror, InvoiceMirror


class CollectionsService:
    def __init__(self, invoices: InvoiceMirror, credits: CreditMirror) -> None:
        self._invoices = invoices
        self._credits = credits

    @local_read
    def aging_report(self, business_id: int) -> list[int]:
        return self._invoices.aging(business_id) + self._credits.credits(business_id)
