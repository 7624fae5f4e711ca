"""Planted: a local_read reaches the live port through a helper inherited from a base class."""

from __future__ import annotations

from infra.interfaces.patterns import local_read
from infra.interfaces.ports import InvoiceMirror, QboGateway


class _GatewayUser:
    _gateway: QboGateway

    def _send(self, business_id: int) -> dict:
        return self._gateway.send_invoice(business_id, "reminder")  # planted-violation


class CollectionsService(_GatewayUser):
    def __init__(self, invoices: InvoiceMirror, gateway: QboGateway) -> None:
        self._invoices = invoices
        self._gateway = gateway

    @local_read
    def aging_report(self, business_id: int) -> list[int]:
        self._send(business_id)
        return self._invoices.aging(business_id)
