"""Planted: an iterator whose __iter__ returns itself (items come from __next__), and two classes
whose iterators iterate each other: the type inference ends on both."""

from __future__ import annotations

from domains.core.freshness import FreshnessReader
from infra.interfaces.patterns import live, local_read
from infra.interfaces.ports import InvoiceMirror, QboGateway


class Gateways:
    def __init__(self, gateway: QboGateway) -> None:
        self._gateway = gateway

    def __iter__(self):
        return self

    def __next__(self) -> QboGateway:
        return self._gateway


class Pages:
    def __iter__(self):
        return Cursor()


class Cursor:
    def __iter__(self):
        return Pages()


class CollectionsService:
    def __init__(self, invoices: InvoiceMirror, freshness: FreshnessReader, gateway: QboGateway) -> None:
        self._invoices = invoices
        self._freshness = freshness
        self._gateway = gateway
        self._gateways = Gateways(gateway)

    @local_read
    def aging_report(self, business_id: int) -> list[int]:
        for gateway in self._gateways:
            gateway.send_invoice(business_id, "all")  # planted-violation
        return self._invoices.aging(business_id)

    @local_read
    def page_count(self) -> int:
        for page in Pages():
            page.close()
        return 0

    @live
    def send_invoice(self, business_id: int, invoice_id: str) -> dict:
        return self._gateway.send_invoice(business_id, invoice_id)
