"""Ports of the planted project, some of whose methods are declared on a base Protocol."""

from __future__ import annotations

import abc
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


@local_port
class _Lookup(Protocol):
    def gateway_for(self, business_id: int) -> QboGateway:
        ...


@local_port
class GatewayDirectory(_Lookup, Protocol):
    """Its one method is inherited from _Lookup."""


@local_port
class InvoiceRepository(abc.ABC):
    @abc.abstractmethod
    def get(self, business_id: int):
        raise NotImplementedError
