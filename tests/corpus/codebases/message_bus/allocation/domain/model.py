"""The aggregate: products with batches of stock, allocated to order lines."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from allocation.domain import events


@dataclass(unsafe_hash=True)
class OrderLine:
    orderid: str
    sku: str
    qty: int


class Batch:
    def __init__(self, ref: str, sku: str, qty: int, eta: date | None) -> None:
        self.reference = ref
        self.sku = sku
        self.eta = eta
        self._purchased_quantity = qty
        self._allocations: set[OrderLine] = set()

    def allocate(self, line: OrderLine) -> None:
        if self.can_allocate(line):
            self._allocations.add(line)

    def deallocate_one(self) -> OrderLine:
        return self._allocations.pop()

    @property
    def available_quantity(self) -> int:
        return self._purchased_quantity - sum(line.qty for line in self._allocations)

    def can_allocate(self, line: OrderLine) -> bool:
        return self.sku == line.sku and self.available_quantity >= line.qty


class Product:
    def __init__(self, sku: str, batches: list[Batch], version_number: int = 0) -> None:
        self.sku = sku
        self.batches = batches
        self.version_number = version_number
        self.events: list[events.Event] = []

    def allocate(self, line: OrderLine) -> str | None:
        batch = next((b for b in sorted(self.batches, key=lambda b: b.eta or date.max) if b.can_allocate(line)), None)
        if batch is None:
            self.events.append(events.OutOfStock(line.sku))
            return None
        batch.allocate(line)
        self.version_number += 1
        self.events.append(events.Allocated(line.orderid, line.sku, line.qty, batch.reference))
        return batch.reference
