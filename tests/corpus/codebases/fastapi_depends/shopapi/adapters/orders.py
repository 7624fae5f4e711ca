"""Orders in the database."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.orm import Session


class SqlOrderStore:
    def __init__(self, db: Session) -> None:
        self._db = db

    def get(self, order_id: int) -> dict:
        return dict(self._db.execute(text("SELECT * FROM orders WHERE id = :i"), {"i": order_id}).one()._mapping)

    def save(self, order: dict) -> None:
        self._db.execute(text("UPDATE orders SET status = :s WHERE id = :i"), order)
        self._db.commit()
