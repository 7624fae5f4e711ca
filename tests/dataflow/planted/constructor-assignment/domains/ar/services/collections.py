"""Planted: the constructor builds a live client (a class of the live package infra.qbo, not a port)."""

from __future__ import annotations

from infra.interfaces.patterns import local_read
from infra.interfaces.ports import InvoiceMirror
from infra.qbo.client import LiveGateway


class CollectionsService:
    def __init__(self, invoices: InvoiceMirror, base_url: str) -> None:
        self._invoices = invoices
        self._gateway = LiveGateway(base_url)

    @local_read
    def aging_report(self, business_id: int) -> list[int]:
        self._gateway.send_invoice(business_id, "reminder")  # planted-violation
        return self._invoices.aging(business_id)
