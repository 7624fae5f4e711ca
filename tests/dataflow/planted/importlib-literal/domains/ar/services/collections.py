"""Planted: importlib.import_module with a literal name, inside the read."""

from __future__ import annotations

import importlib

from infra.interfaces.patterns import local_read
from infra.interfaces.ports import InvoiceMirror


class CollectionsService:
    def __init__(self, invoices: InvoiceMirror) -> None:
        self._invoices = invoices

    @local_read
    def aging_report(self, business_id: int) -> list[int]:
        http = importlib.import_module("httpx")  # planted-violation
        http.get(f"https://quickbooks.example/aging/{business_id}")
        return self._invoices.aging(business_id)
