"""Planted: a local_read calls the live port injected through an __init__ annotation."""

from __future__ import annotations

from infra.interfaces.patterns import live, local_read
from infra.interfaces.ports import InvoiceMirror, QboGateway


class CollectionsService:
    def __init__(self, invoices: InvoiceMirror, gateway: QboGateway) -> None:
        self._invoices = invoices
        self._gateway = gateway

    @local_read
    def aging_report(self, business_id: int) -> list[int]:
        self._gateway.send_invoice(business_id, "reminder")  # planted-violation
        return self._invoices.aging(business_id)

    @live
    def send_invoice(self, business_id: int, invoice_id: str) -> dict:
        return self._gateway.send_invoice(business_id, invoice_id)
