"""Commands (records only)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date


class Command:
    pass


@dataclass
class Allocate(Command):
    orderid: str
    sku: str
    qty: int


@dataclass
class CreateBatch(Command):
    ref: str
    sku: str
    qty: int
    eta: date | None = None


@dataclass
class CheckStock(Command):
    sku: str
    threshold: int
