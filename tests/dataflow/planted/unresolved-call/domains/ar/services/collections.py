"""Planted: a call on an untyped constructor parameter, and on an attribute never assigned."""

from __future__ import annotations

from infra.interfaces.patterns import local_read
from infra.interfaces.ports import InvoiceMirror


class CollectionsService:
    def __init__(self, invoices: InvoiceMirror, client) -> None:
        self._invoices = invoices
        self._client = client

    @local_read
    def aging_report(self, business_id: int) -> list[int]:
        self._client.refresh(business_id)  # planted-violation
        return self._invoices.aging(business_id)

    @local_read
    def ar_summary(self, business_id: int) -> list[int]:
        self._cache.clear()  # planted-violation
        return self._invoices.aging(business_id)
