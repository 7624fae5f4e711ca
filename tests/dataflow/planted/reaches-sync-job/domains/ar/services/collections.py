"""Planted: a live operation starts a background sync job (Pattern 3 is never a domain operation's)."""

from __future__ import annotations

from infra.interfaces.patterns import live
from infra.interfaces.ports import QboGateway
from infra.jobs.invoice_sync import InvoiceSync


class CollectionsService:
    def __init__(self, gateway: QboGateway, sync: InvoiceSync) -> None:
        self._gateway = gateway
        self._sync = sync

    @live
    def send_invoice(self, business_id: int, invoice_id: str) -> dict:
        sent = self._gateway.send_invoice(business_id, invoice_id)
        self._sync.run(business_id)  # planted-violation
        return sent
