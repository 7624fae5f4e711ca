"""Planted: what a port method returns (its annotation, declared on a base Protocol) is followed."""

from __future__ import annotations

from infra.interfaces.patterns import local_read
from infra.interfaces.ports import GatewayDirectory, InvoiceRepository


class CollectionsService:
    def __init__(self, directory: GatewayDirectory, invoices: InvoiceRepository) -> None:
        self._directory = directory
        self._invoices = invoices

    @local_read
    def aging_report(self, business_id: int) -> None:
        gateway = self._directory.gateway_for(business_id)
        gateway.send_invoice(business_id, "returned")  # planted-violation: a port returned by a port

    @local_read
    def invoice_total(self, business_id: int) -> int:
        invoice = self._invoices.get(business_id)
        return invoice.total()  # planted-violation: an abstract method without a return annotation
