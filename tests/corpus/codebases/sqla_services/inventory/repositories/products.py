"""A repository over the session: what its methods return is annotated."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from inventory.models import Product


class ProductRepository:
    def __init__(self, db: Session) -> None:
        self.db = db

    def get(self, product_id: int) -> Product:
        return self.db.get_one(Product, product_id)

    def low_stock(self, threshold: int) -> list[Product]:
        return list(self.db.scalars(select(Product).where(Product.on_hand < threshold)))
