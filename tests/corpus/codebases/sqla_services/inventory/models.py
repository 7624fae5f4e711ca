"""Mapped classes."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy.orm import Mapped, mapped_column

from inventory.db import Base


class Product(Base):
    __tablename__ = "products"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str]
    price: Mapped[Decimal]
    on_hand: Mapped[int]

    def restock(self, quantity: int) -> None:
        self.on_hand += quantity

    def is_low(self, threshold: int) -> bool:
        return self.on_hand < threshold
