"""Planted: the service is a dataclass; the live port is injected as a field."""

from __future__ import annotations

from dataclasses import dataclass

from infra.interfaces.patterns import local_read
from infra.interfaces.ports import InvoiceMirror, QboGateway


@dataclass(frozen=True)
class CollectionsService:
    invoices: InvoiceMirror
    gateway: QboGateway

    @local_read
    def aging_report(self, business_id: int) -> list[int]:
        self.gateway.send_invoice(business_id, "reminder")  # planted-violation
        return self.invoices.aging(business_id)
