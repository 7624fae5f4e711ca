"""Planted: a helper whose class hierarchy is a cycle: what it defines itself resolves, what it would
inherit cannot."""

from __future__ import annotations

from domains.ar.first import First
from domains.core.freshness import FreshnessReader
from infra.interfaces.patterns import live, local_read
from infra.interfaces.ports import InvoiceMirror, QboGateway


class CollectionsService:
    def __init__(self, invoices: InvoiceMirror, freshness: FreshnessReader, gateway: QboGateway) -> None:
        self._invoices = invoices
        self._freshness = freshness
        self._gateway = gateway
        self._helper = First()

    @local_read
    def aging_report(self, business_id: int) -> list[int]:
        self._helper.remind(business_id)
        self._helper.archive(business_id)
        return self._invoices.aging(business_id)

    @live
    def send_invoice(self, business_id: int, invoice_id: str) -> dict:
        return self._gateway.send_invoice(business_id, invoice_id)
