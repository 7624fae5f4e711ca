"""Planted: the port is held by a base class, set from an untyped parameter the subclass passes on."""

from __future__ import annotations

from infra.interfaces.patterns import local_read
from infra.interfaces.ports import InvoiceMirror, QboGateway


class _BaseService:
    def __init__(self, invoices, gateway) -> None:
        self.invoices = invoices
        self.gateway = gateway


class CollectionsService(_BaseService):
    def __init__(self, invoices: InvoiceMirror, gateway: QboGateway) -> None:
        super().__init__(invoices, gateway=gateway)

    @local_read
    def aging_report(self, business_id: int) -> list[int]:
        self.gateway.send_invoice(business_id, "base")  # planted-violation: reached through the base class
        return self.invoices.aging(business_id)
