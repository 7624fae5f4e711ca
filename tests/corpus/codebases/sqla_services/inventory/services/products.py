"""Products: reads and writes through the session, one report that goes to the supplier."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy.orm import Session

from inventory.clients.supplier import SupplierClient
from inventory.models import Product
from inventory.repositories.products import ProductRepository
from inventory.services.base import BaseService
from inventory.services.stock import SupplierSync


class ProductService(BaseService):
    def __init__(self, db: Session, supplier: SupplierClient) -> None:
        super().__init__(db)
        self.repository = ProductRepository(db)
        self.supplier = supplier

    def get(self, product_id: int) -> Product:
        return self.repository.get(product_id)

    def low_stock(self, threshold: int) -> list[str]:
        return [p.name for p in self.repository.low_stock(threshold) if p.is_low(threshold)]

    def rename(self, product_id: int, name: str) -> None:
        product = self.repository.get(product_id)
        product.name = name
        self.commit()

    def restock(self, product_id: int, quantity: int) -> None:
        self.repository.get(product_id).restock(quantity)
        self.commit()

    def price_report(self, product_id: int) -> dict[str, Decimal]:
        product = self.get(product_id)
        quoted = self.supplier.quote(product.name)  # planted-violation
        return {"ours": product.price, "supplier": quoted}

    def refresh_catalogue(self) -> int:
        return SupplierSync(self.db, self.supplier).pull_prices()  # planted-violation
