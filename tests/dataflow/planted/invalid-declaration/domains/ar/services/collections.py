"""Planted: an operation marked both local_read and live."""

from __future__ import annotations

from infra.interfaces.patterns import live, local_read
from infra.interfaces.ports import QboGateway


class CollectionsService:
    def __init__(self, gateway: QboGateway) -> None:
        self._gateway = gateway

    @local_read  # planted-violation
    @live
    def send_invoice(self, business_id: int, invoice_id: str) -> dict:
        return self._gateway.send_invoice(business_id, invoice_id)
