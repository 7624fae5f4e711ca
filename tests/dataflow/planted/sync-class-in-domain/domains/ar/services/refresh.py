"""Planted: a sync job written inside a domain service module (one root cause, however many methods)."""

from __future__ import annotations

from infra.interfaces.patterns import sync_job
from infra.interfaces.ports import InvoiceMirror, QboGateway


@sync_job
class InvoiceRefresh:  # planted-violation: sync code in the domain layer
    def __init__(self, invoices: InvoiceMirror, gateway: QboGateway) -> None:
        self._invoices = invoices
        self._gateway = gateway

    def pull(self, business_id: int) -> None:
        self._gateway.send_invoice(business_id, "pull")

    def push(self, business_id: int) -> None:
        self._gateway.send_invoice(business_id, "push")

    def reconcile(self, business_id: int) -> list[int]:
        return self._invoices.aging(business_id)

    def status(self, business_id: int) -> str:
        return "ok"


class LedgerSync:  # planted-violation: configured in sync_classes and live_classes
    def run(self, business_id: int) -> None:
        ...

    def stop(self) -> None:
        ...
