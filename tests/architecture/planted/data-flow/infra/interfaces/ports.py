"""Ports of the planted project: two local, one live."""

from __future__ import annotations

from typing import Protocol

from infra.interfaces.patterns import live_port, local_port


@local_port
class InvoiceMirror(Protocol):
    def aging(self, business_id: int) -> list[int]:
        ...


@local_port
class SyncStateReader(Protocol):
    def sync_states(self, business_id: int) -> list[str]:
        ...


@live_port
class QboGateway(Protocol):
    def send_invoice(self, business_id: int, invoice_id: str) -> dict:
        ...
