"""Planted: `import infra` at module level, then an attribute chain to the live client in the read.

The import graph records only `domains.ar.services.collections -> infra`; the call is invisible to it.
"""

from __future__ import annotations

import infra
from infra.interfaces.patterns import local_read
from infra.interfaces.ports import InvoiceMirror


class CollectionsService:
    def __init__(self, invoices: InvoiceMirror) -> None:
        self._invoices = invoices

    @local_read
    def aging_report(self, business_id: int) -> list[int]:
        infra.qbo.client.get(f"/aging/{business_id}")  # planted-violation
        return self._invoices.aging(business_id)
