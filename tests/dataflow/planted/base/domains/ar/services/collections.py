"""Planted: a clean service, every data-flow rule kept."""

from __future__ import annotations

from domains.core.freshness import FreshnessReader
from infra.interfaces.patterns import live, local_read
from infra.interfaces.ports import InvoiceMirror, QboGateway


class CollectionsService:
    def __init__(self, invoices: InvoiceMirror, freshness: FreshnessReader, gateway: QboGateway) -> None:
        self._invoices = invoices
        self._freshness = freshness
        self._gateway = gateway

    @local_read
    def aging_report(self, business_id: int) -> tuple[list[int], str]:
        rows = self._invoices.aging(business_id)
        return self._with_freshness(business_id, rows)

    @live
    def send_invoice(self, business_id: int, invoice_id: str) -> dict:
        return self._gateway.send_invoice(business_id, invoice_id)

    def _with_freshness(self, business_id: int, rows: list[int]) -> tuple[list[int], str]:
        return rows, self._freshness.of(business_id)
