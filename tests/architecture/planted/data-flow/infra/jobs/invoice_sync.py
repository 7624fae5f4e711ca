"""A background sync job (Pattern 3)."""

from __future__ import annotations

from infra.interfaces.patterns import sync_job


@sync_job
class InvoiceSync:
    def run(self, business_id: int) -> None:
        ...
