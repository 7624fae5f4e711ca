"""The base of every service: it holds the session it is given (untyped here, typed by subclasses)."""

from __future__ import annotations


class BaseService:
    def __init__(self, db) -> None:
        self.db = db

    def commit(self) -> None:
        self.db.commit()
