"""The ports the services depend on (Protocols; the adapters implement them)."""

from __future__ import annotations

from decimal import Decimal
from typing import Protocol


class OrderStore(Protocol):
    def get(self, order_id: int) -> dict: ...

    def save(self, order: dict) -> None: ...


class PaymentGateway(Protocol):
    def charge(self, order_id: int, amount: Decimal) -> str: ...

    def refund_status(self, charge_id: str) -> str: ...


class Mailer(Protocol):
    def send(self, to: str, body: str) -> None: ...
