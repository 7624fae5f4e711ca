"""How a sync run reads one realm: the reads themselves (noting the ``time`` QBO stamps on each answer,
which the run's cursors are taken from), and the statements and paging arithmetic they use."""

from __future__ import annotations

import threading
from collections.abc import Iterable
from datetime import datetime

import msgspec

from infra.db.entities import LIST_ENTITIES
from infra.interfaces.records import Entity
from infra.jobs.cursors import parse_qbo_time
from infra.qbo import MAX_PAGE_SIZE, QboClient, qbo_literal, select_statement

__all__ = ["ALL_ACTIVE", "RealmReads", "after_pages", "all_where", "id_statements", "last_updated", "rows_of"]

#: Name lists are read with inactive rows too (QBO answers only active ones unless asked).
ALL_ACTIVE = "Active IN (true, false)"


class RealmReads:
    """The QBO reads of one run of one realm, noting the earliest ``time`` QBO stamped on an answer
    (the cursor is taken from it). Thread-safe: the run's pipeline calls it from several threads."""

    def __init__(self, client: QboClient, realm_id: str) -> None:
        self._client = client
        self._realm_id = realm_id
        self._lock = threading.Lock()
        self.earliest_time: datetime | None = None

    def _saw(self, stamp: str | None) -> None:
        instant = parse_qbo_time(stamp)
        if instant is None:
            return
        with self._lock:
            if self.earliest_time is None or instant < self.earliest_time:
                self.earliest_time = instant

    def query(self, statement: str) -> dict:
        return self._client.query(self._realm_id, statement, on_time=self._saw)

    def count(self, entity: str, where: str | None) -> int:
        return self._client.count(self._realm_id, entity, where, on_time=self._saw)

    def query_page(self, entity: str, start: int, where: str | None, order_by: str | None, page_size: int
                   ) -> list[dict]:
        return self._client.query_page(self._realm_id, entity, start, where, order_by, page_size, on_time=self._saw)

    def query_page_raw(self, entity: str, start: int, where: str | None, order_by: str | None, page_size: int
                       ) -> list[msgspec.Raw]:
        return self._client.query_page_raw(self._realm_id, entity, start, where, order_by, page_size,
                                           on_time=self._saw)

    def cdc(self, entities: list[str], since: str) -> dict[str, list[dict]]:
        return self._client.cdc(self._realm_id, entities, since, on_time=self._saw)

    def rows(self, task: tuple[Entity, str]) -> list[dict]:
        """The rows of one ``(entity, statement)`` query."""
        entity, statement = task
        return rows_of(self.query(statement), entity)


def all_where(entity: Entity) -> str | None:
    """The filter of a complete read of ``entity`` (inactive name-list rows included)."""
    return ALL_ACTIVE if entity in LIST_ENTITIES else None


def id_statements(entity: Entity, ids: Iterable[str], ids_per_query: int) -> list[str]:
    """``SELECT * ... WHERE Id IN (...)`` statements covering ``ids`` (``ids_per_query`` at a time)."""
    ordered = sorted(ids, key=lambda i: (len(i), i))
    extra = f" AND {ALL_ACTIVE}" if entity in LIST_ENTITIES else ""
    batches = [ordered[start:start + ids_per_query] for start in range(0, len(ordered), ids_per_query)]
    return [select_statement(entity.value, f"Id IN ({', '.join(qbo_literal(i) for i in batch)}){extra}", "Id",
                             None, MAX_PAGE_SIZE) for batch in batches]


def after_pages(total: int, page_size: int) -> int:
    """The STARTPOSITION after the ``ceil(total / page_size)`` pages of a count of ``total``."""
    return -(-total // page_size) * page_size + 1


def rows_of(response: dict, entity: Entity) -> list[dict]:
    """The rows of ``entity`` in a QueryResponse (its key matched without regard to case)."""
    for key, value in response.items():
        if key.lower() == entity.value.lower() and isinstance(value, list):
            return value
    return []


def last_updated(payload: dict) -> str | None:
    """``MetaData.LastUpdatedTime`` of a QBO object (for a deletion marker: when it was deleted)."""
    meta = payload.get("MetaData")
    return meta.get("LastUpdatedTime") if isinstance(meta, dict) else None
