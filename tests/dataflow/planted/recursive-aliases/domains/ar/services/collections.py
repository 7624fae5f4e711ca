"""Planted: names defined only in terms of each other (class attributes, module variables, instance
attributes): the type inference ends, and calls through them are unresolved, not dropped."""

from __future__ import annotations

from typing import TYPE_CHECKING

from domains.core.freshness import FreshnessReader
from infra.interfaces.patterns import live, local_read
from infra.interfaces.ports import InvoiceMirror, QboGateway

if TYPE_CHECKING:
    remind = notify
else:
    notify = remind


class EmailChannel:
    send = SmsChannel.send


class SmsChannel:
    send = EmailChannel.send


class CollectionsService:
    def __init__(self, invoices: InvoiceMirror, freshness: FreshnessReader, gateway: QboGateway) -> None:
        self._invoices = invoices
        self._freshness = freshness
        self._gateway = gateway
        self._primary = self._backup
        self._backup = self._primary

    @local_read
    def aging_report(self, business_id: int) -> list[int]:
        EmailChannel.send(business_id)
        notify(business_id)
        self._primary.flush()
        return self._invoices.aging(business_id)

    @live
    def send_invoice(self, business_id: int, invoice_id: str) -> dict:
        return self._gateway.send_invoice(business_id, invoice_id)
