"""Planted: a local_read reaches the live port through two private helpers."""

from __future__ import annotations

from infra.interfaces.patterns import local_read
from infra.interfaces.ports import InvoiceMirror, QboGateway


class CollectionsService:
    def __init__(self, invoices: InvoiceMirror, gateway: QboGateway) -> None:
        self._invoices = invoices
        self._gateway = gateway

    @local_read
    def aging_report(self, business_id: int) -> list[int]:
        rows = self._invoices.aging(business_id)
        self._remind(business_id)
        return rows

    def _remind(self, business_id: int) -> None:
        self._send(business_id, "reminder")

    def _send(self, business_id: int, invoice_id: str) -> dict:
        return self._gateway.send_invoice(business_id, invoice_id)  # planted-violation
