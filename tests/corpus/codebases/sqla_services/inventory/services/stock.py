"""Stock levels, and the supplier sync that was written next to them."""

from __future__ import annotations

from sqlalchemy import update
from sqlalchemy.orm import Session

from inventory.clients.supplier import SupplierClient
from inventory.models import Product
from inventory.services.base import BaseService


class StockService(BaseService):
    def __init__(self, db: Session) -> None:
        super().__init__(db)

    def reserve(self, product_id: int, quantity: int) -> bool:
        product = self.db.get(Product, product_id)
        if product is None or product.on_hand < quantity:
            return False
        product.on_hand -= quantity
        self.commit()
        return True

    def on_hand(self, product_id: int) -> int:
        product = self.db.get(Product, product_id)
        return product.on_hand if product else 0


class SupplierSync:  # planted-violation
    """Copies the supplier's catalogue into the products table (a background sync, in the domain)."""

    def __init__(self, db: Session, supplier: SupplierClient) -> None:
        self.db = db
        self.supplier = supplier

    def pull_prices(self) -> int:
        rows = self.supplier.catalogue()
        for row in rows:
            self.db.execute(update(Product).where(Product.name == row["name"]).values(price=row["price"]))
        self.db.commit()
        return len(rows)

    def pull_stock(self) -> int:
        return len(self.supplier.catalogue())

    def run(self) -> None:
        self.pull_prices()
        self.pull_stock()
