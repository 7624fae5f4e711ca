"""Ports, marked with archguard's own markers."""

from __future__ import annotations

from decimal import Decimal
from typing import Protocol

from archguard.patterns import live_port, local_port


@local_port
class Journal(Protocol):
    def balance(self, account: str) -> Decimal: ...

    def post(self, account: str, amount: Decimal) -> None: ...


@live_port
class BankFeed(Protocol):
    def statement(self, account: str) -> list[Decimal]: ...
