"""Planted: imports inside the operations (an HTTP module, and a module of the live package)."""

from __future__ import annotations

from infra.interfaces.patterns import local_read
from infra.interfaces.ports import InvoiceMirror


class CollectionsService:
    def __init__(self, invoices: InvoiceMirror) -> None:
        self._invoices = invoices

    @local_read
    def aging_report(self, business_id: int) -> list[int]:
        import httpx  # planted-violation

        httpx.get(f"https://quickbooks.example/aging/{business_id}")
        return self._invoices.aging(business_id)

    @local_read
    def ar_summary(self, business_id: int) -> list[int]:
        from infra.qbo import client  # planted-violation

        client.get(f"/summary/{business_id}")
        return self._invoices.aging(business_id)

    @local_read
    def open_count(self, business_id: int) -> int:
        from infra.qbo import client as live_client  # planted-violation: imported, never called

        assert live_client
        return len(self._invoices.aging(business_id))
