"""Planted: a local_read calls another domain service whose operation goes live."""

from __future__ import annotations

from domains.ar.services.reminders import ReminderService
from infra.interfaces.patterns import local_read
from infra.interfaces.ports import InvoiceMirror


class CollectionsService:
    def __init__(self, invoices: InvoiceMirror, reminders: ReminderService) -> None:
        self._invoices = invoices
        self._reminders = reminders

    @local_read
    def aging_report(self, business_id: int) -> list[int]:
        self._reminders.remind(business_id)  # planted-violation
        return self._invoices.aging(business_id)
