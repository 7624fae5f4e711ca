"""The reconcile of a sync run: what a read missed, found by id.

Offset paging is not a snapshot (a row deleted while a run pages shifts the later pages), and plain
queries never return deletions. So after a complete read, mirror rows the read did not see are looked up
by id, and after a query-path read every QBO Id is listed and compared with the mirror: what QBO still has
is applied, what it no longer has is deleted.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

from infra.db.sync_store import SyncStore
from infra.interfaces.records import Entity
from infra.jobs.pipeline import BoundedPipeline
from infra.jobs.reads import RealmReads, after_pages, all_where, id_statements, rows_of

__all__ = ["Reconciler"]

#: Writes one page of QBO objects (and deletes the given ids) for the run.
Apply = Callable[[Entity, Sequence[Any], Iterable[str]], None]


class Reconciler:
    """Reconciles the entities of one run of one business (see the module docstring)."""

    def __init__(self, reads: RealmReads, store: SyncStore, pipeline: BoundedPipeline, business_id: int, *,
                 page_size: int, ids_per_query: int, apply: Apply) -> None:
        self.reads = reads
        self.store = store
        self.pipeline = pipeline
        self.business_id = business_id
        self.page_size = page_size
        self.ids_per_query = ids_per_query
        self._apply = apply

    def after_full_read(self, entity: Entity, seen: set[str], total: int, quarantined_now: set[str]) -> None:
        """After a complete read: mirror rows the read did not see are looked up by id; those QBO still has
        are applied, the rest deleted. When fewer rows were seen than counted, every QBO Id is listed to
        find the skipped ones. The quarantine keeps only what this read quarantined."""
        mirror = self.store.mirror_ids(self.business_id, entity)
        unseen = mirror - seen
        check = set(unseen)
        if len(seen) < total:
            check |= self.list_ids(entity) - seen
        self.look_up(entity, check, deletable=unseen)
        self.store.clear_quarantine_except(self.business_id, entity, quarantined_now)

    def after_query_read(self, entity: Entity, seen: set[str]) -> None:
        """After a query-path read: list every QBO Id; mirror rows QBO does not list are looked up and
        deleted if really gone; Ids the mirror lacks are read."""
        listed = self.list_ids(entity)
        mirror = self.store.mirror_ids(self.business_id, entity)
        gone = mirror - listed
        self.look_up(entity, gone | (listed - mirror - seen), deletable=gone)

    def look_up(self, entity: Entity, ids: set[str], *, deletable: set[str]) -> None:
        """Read ``ids`` by id and apply what QBO returns; delete the ``deletable`` ids it did not return
        (unless an answer held an object without an Id: then nothing is deleted this run)."""
        if not ids:
            return
        payloads = self.by_ids(entity, ids)
        returned = {str(p["Id"]) for p in payloads if isinstance(p, dict) and p.get("Id") not in (None, "")}
        anonymous = any(not isinstance(p, dict) or p.get("Id") in (None, "") for p in payloads)
        self._apply(entity, payloads, ())
        missing = set() if anonymous else deletable - returned
        if missing:
            self._apply(entity, [], missing)

    def list_ids(self, entity: Entity) -> set[str]:
        """Every Id QBO holds for ``entity`` (inactive name-list rows included), paged concurrently."""
        where = all_where(entity)
        total = self.reads.count(entity.value, where)
        clause = f" WHERE {where}" if where else ""

        def page(start: int) -> list[dict]:
            statement = (f"SELECT Id FROM {entity.value}{clause} ORDERBY Id STARTPOSITION {start} "
                         f"MAXRESULTS {self.page_size}")
            return rows_of(self.reads.query(statement), entity)

        ids: set[str] = set()
        last = 0
        for _start, future in self.pipeline.ordered(range(1, total + 1, self.page_size), page):
            rows = future.result()
            ids.update(str(row["Id"]) for row in rows if isinstance(row, dict) and row.get("Id") is not None)
            last = len(rows)
        start = after_pages(total, self.page_size)
        while last == self.page_size:  # a full last page: there may be more rows
            rows = page(start)
            ids.update(str(row["Id"]) for row in rows if isinstance(row, dict) and row.get("Id") is not None)
            last = len(rows)
            start += self.page_size
        return ids

    def by_ids(self, entity: Entity, ids: Iterable[str]) -> list[dict]:
        """The objects of ``entity`` with those Ids that QBO still has (``Id IN (...)``, concurrently)."""
        payloads: list[dict] = []
        tasks = [(entity, statement) for statement in id_statements(entity, ids, self.ids_per_query)]
        for _task, future in self.pipeline.ordered(tasks, self.reads.rows):
            payloads.extend(future.result())
        return payloads
