"""Planted: module-level functions of a service module are operations too."""

from __future__ import annotations

from infra.interfaces.patterns import local_read
from infra.interfaces.ports import InvoiceMirror, QboGateway


@local_read
def overdue_total(invoices: InvoiceMirror, gateway: QboGateway, business_id: int) -> int:
    gateway.send_invoice(business_id, "reminder")  # planted-violation: a local read going live
    return sum(invoices.aging(business_id))


def resend_all(gateway: QboGateway, business_id: int) -> None:  # planted-violation: not declared
    gateway.send_invoice(business_id, "all")


def _private_helper(invoices: InvoiceMirror) -> int:
    return len(invoices.aging(0))
