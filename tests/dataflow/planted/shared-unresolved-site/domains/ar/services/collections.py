"""Planted: one call the checker cannot follow, in a helper both operations call: one finding, naming
both operations (not one finding per operation)."""

from __future__ import annotations

from domains.core.freshness import FreshnessReader
from infra.interfaces.patterns import live, local_read
from infra.interfaces.ports import InvoiceMirror, QboGateway


class CollectionsService:
    def __init__(self, invoices: InvoiceMirror, freshness: FreshnessReader, gateway: QboGateway, audit) -> None:
        self._invoices = invoices
        self._freshness = freshness
        self._gateway = gateway
        self._audit = audit

    @local_read
    def aging_report(self, business_id: int) -> list[int]:
        self._record(business_id)
        return self._invoices.aging(business_id)

    @live
    def send_invoice(self, business_id: int, invoice_id: str) -> dict:
        self._record(business_id)
        return self._gateway.send_invoice(business_id, invoice_id)

    def _record(self, business_id: int) -> None:
        self._audit.write(business_id)
