"""The computed balances a sync run must re-read.

QBO changes a vendor's or customer's ``Balance`` and an account's ``CurrentBalance`` without touching their
SyncToken or LastUpdatedTime, so neither CDC nor a LastUpdatedTime query reports them. ``BalanceRefresh``
re-reads them without a second serial round trip:

- **Whole lists, started with the run's first requests** (``start``): when the run reads transactions and
  the account, vendor and customer lists fit in the realm's in-flight budget beside the CDC call
  (``len(mirror) // page_size + 1`` pages each), every page of them is requested at once, concurrently with
  CDC: which parties a change moved is not known before CDC answers, so all of them are read. A pipeline
  thread only fetches a page (its rows left undecoded); the run's own thread compares it with the mirror
  between its writes (``compare_ready``), so no comparison holds the interpreter while CDC's answer is
  written. Rows are compared on the Id, SyncToken and balance alone (``_compare``): a row whose SyncToken
  differs is decoded in full, mapped and written (unless the run wrote that very version from CDC's
  answer); one whose balance alone differs gets its balance (``SyncStore.update_computed_balances``); the
  others are never built. This also catches balances moved by documents the mirror does not hold (credit
  memos, journal entries, unapplied payments in QBO).
- **Targeted, after CDC** (lists too big for one round trip): the vendors and customers the changed
  transactions belong to, before and after the change, requested as soon as the CDC answer is in. A
  deleted document the mirror never held (created and deleted between two runs), or a transaction read in
  full or by the query path, leaves the party unknown: that name list is re-read in full.

Accounts too many for that budget are read in full, requested together with the CDC call. The run
advances the transactions' cursors only once the re-read succeeded (``balances_ok``), so an interrupted
one is redone by the next run. A balance QBO moves after its list was read (while the run goes on) is
caught by the next run: the transaction that moved it falls inside the next run's CDC window and the
lists are read again.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, wait
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any, Protocol

import msgspec

from infra.db.entities import ENTITIES, ENTITY_ORDER, LIST_ENTITIES, TRANSACTIONS, party_of
from infra.db.sync_store import SyncStore
from infra.db.types import to_cents
from infra.interfaces.records import Entity, SyncStateRecord
from infra.jobs.cursors import parse_qbo_time
from infra.jobs.pipeline import BoundedPipeline
from infra.jobs.reads import ALL_ACTIVE, RealmReads, after_pages, id_statements, last_updated
from infra.jobs.results import EntitySyncResult, RunStopped, SyncMode
from infra.qbo import is_deleted, loads_json, select_statement

__all__ = ["BalanceRefresh", "Run", "WholeRead"]

#: Requests of a run's first round trip besides the lists read whole: the CDC call.
_FIRST_ROUND_OTHERS = 1


def _balance_field(entity: Entity) -> str:
    computed = ENTITIES[entity].computed_balance
    if computed is None:
        raise ValueError(f"{entity.value} has no computed balance")
    return computed.qbo_field


#: Per name list, a decoder of what the balance re-read compares of a row: ``id``, ``sync_token`` and
#: ``balance`` (read from QBO's ``Id``, ``SyncToken`` and ``Balance`` or ``CurrentBalance``); every other
#: field is skipped unread. The balance is decoded exactly (msgspec reads a JSON number's digits into the
#: ``Decimal``); QBO leaves out properties without a value, which the mapping reads as 0.
_BALANCE_ROWS: dict[Entity, msgspec.json.Decoder[Any]] = {
    spec.entity: msgspec.json.Decoder(msgspec.defstruct(
        f"{spec.entity.value}BalanceRow", [("id", str), ("sync_token", str), ("balance", Decimal, Decimal(0))],
        rename={"id": "Id", "sync_token": "SyncToken", "balance": spec.computed_balance.qbo_field}))
    for spec in ENTITIES.values() if spec.computed_balance is not None}


@dataclass(slots=True)
class WholeRead:
    """A name list read whole, its pages requested when the run started: ``(start position, future)``, each
    future the page's rows left undecoded (fetched by a pipeline thread); ``compared`` holds, by start
    position, what each page changes in the mirror once the run's own thread compared it (``compare_ready``)."""

    entity: Entity
    pages: list[tuple[int, Future[list[msgspec.Raw]]]]
    compared: dict[int, _PageChanges] = field(default_factory=dict)
    errors: dict[int, Exception] = field(default_factory=dict)


@dataclass(slots=True)
class _PageChanges:
    """What a page of a name list read whole changes in the mirror: how many rows it held, the rows to
    write (decoded in full), and the ``(id, SyncToken, balance)`` of rows whose balance alone changed."""

    count: int
    rows: list[dict] = field(default_factory=list)
    balances: list[tuple[str, str, Decimal]] = field(default_factory=list)

    def add(self, other: _PageChanges) -> None:
        self.count += other.count
        self.rows.extend(other.rows)
        self.balances.extend(other.balances)


class Run(Protocol):
    """What the balance refresh uses of the run it belongs to (``infra.jobs.sync``)."""

    config: Any
    store: SyncStore
    business_id: int
    page_size: int
    qbo: RealmReads
    pipeline: BoundedPipeline
    results: dict[Entity, EntitySyncResult]
    failed: set[Entity]
    completed: set[Entity]
    entities: tuple[Entity, ...]
    fatal: Exception | None

    def check(self) -> None:
        """Raise ``RunStopped`` if the run cannot go on."""
        ...

    def guard(self, entity: Entity) -> AbstractContextManager[None]:
        """Record an exception inside the block as the failure of ``entity``."""
        ...

    def apply(self, entity: Entity, payloads: Sequence[Any], mode: SyncMode, seen: set[str], *,
              deleted: Iterable[str] = ()) -> None:
        """Map and write one page of QBO objects."""
        ...


class BalanceRefresh:
    """What one run re-reads for computed balances (see the module docstring), and the state it keeps:
    the parties touched, the reads started early, the deletions CDC reported."""

    def __init__(self, run: Run) -> None:
        self.run = run
        self.collect_parties = run.config.refresh_balances
        self.prefetched: dict[tuple[Entity, str], Future[list[dict]]] = {}
        self.prefetched_ids: dict[Entity, set[str]] = {}
        self.prefetched_all: set[Entity] = set()
        self.parties_all: set[Entity] = set()  # name lists to re-read in full (a change of unknown party)
        self.tombstones: dict[tuple[Entity, str], str | None] = {}  # deletion times CDC reported
        self.previous_start: dict[Entity, datetime | None] = {}
        self.transactions_touched = False
        self.parties: dict[Entity, set[str]] = {Entity.VENDOR: set(), Entity.CUSTOMER: set()}
        self.balances_ok = True
        self.whole: dict[Entity, WholeRead] = {}  # name lists read whole (``start``)
        #: ``{qbo_id: (SyncToken, computed balance)}`` of the mirror's rows of those lists when the run started
        self.stored: dict[Entity, dict[str, tuple[str, Decimal]]] = {}
        self._layout: dict[Entity, int] | None = None  # pages per list read whole (0: accounts read in full)
        self._requests = 0
        #: ``{qbo_id: (SyncToken, computed balance)}`` of the rows of those lists this run wrote (``note_written``)
        self.written: dict[Entity, dict[str, tuple[str, Decimal]]] = {}
        self._started = False

    def layout(self, plan: dict[Entity, SyncMode], states: dict[Entity, SyncStateRecord]) -> int:
        """Decide, once, which name lists the run reads whole and in how many pages (the mirror's counts, by
        one statement): the account list, and the vendor and customer lists whose transactions the run
        reads, if their pages fit in the realm's in-flight budget beside one CDC call (see the module
        docstring; accounts too many for it are read in full the old way). Returns how many requests
        ``start`` will send, so the run knows how many in-flight slots its CDC calls may take."""
        if self._layout is not None:
            return self._requests
        self._layout = {}
        refreshable = self.refreshable(plan, states)
        reads = {party_of(entity).entity for entity in plan if entity in TRANSACTIONS}
        if not reads & refreshable:
            return 0
        budget = self.run.pipeline.workers - _FIRST_ROUND_OTHERS
        size = self.run.page_size
        counts = self.run.store.count_mirrored_many(
            self.run.business_id, sorted((reads | {Entity.ACCOUNT}) & refreshable, key=ENTITY_ORDER.index))
        for entity, count in counts.items():
            pages = count // size + 1
            if pages > budget:  # too big for one round trip: the accounts read in full, the parties targeted
                if entity is Entity.ACCOUNT:
                    self._layout[entity] = 0
                    self._requests += 1
                continue
            budget -= pages
            self._layout[entity] = pages
            self._requests += pages
        return self._requests

    def start(self, plan: dict[Entity, SyncMode], states: dict[Entity, SyncStateRecord]) -> None:
        """Request, now, what does not depend on what the run's reads will answer (``layout``): every page
        of the name lists read whole, each fetched by a pipeline thread and left undecoded; then, while QBO
        answers, ``read_mirror`` reads the mirror's (SyncToken, balance) of those lists, which the pages are
        compared with."""
        self.layout(plan, states)
        if self._started:
            return
        self._started = True
        size = self.run.page_size
        for entity, pages in (self._layout or {}).items():
            if pages == 0:
                self.prefetch(entity, None)
                continue
            self.whole[entity] = WholeRead(entity, [
                (start, self.run.pipeline.submit(self._fetch_page, entity, start))
                for start in range(1, pages * size, size)])

    def read_mirror(self) -> None:
        """Read the mirror's (SyncToken, balance) of the lists read whole, which their pages are compared
        with: while QBO answers, after ``start`` (rows written meanwhile compare as changed). Called once
        the requests have left: reading them costs the interpreter some milliseconds, which the threads
        sending those requests would otherwise wait for."""
        for entity in self.whole:
            if entity not in self.stored:
                self.stored[entity] = self.run.store.computed_balances(self.run.business_id, entity)

    def _fetch_page(self, entity: Entity, start: int) -> list[msgspec.Raw]:
        return self.run.qbo.query_page_raw(entity.value, start, ALL_ACTIVE, "Id", self.run.page_size)

    def pending(self) -> list[Future[list[msgspec.Raw]]]:
        """The pages of the lists read whole that are not in yet."""
        return [future for read in self.whole.values() for start, future in read.pages
                if start not in read.compared and not future.done()]

    def compare_ready(self) -> None:
        """Compare every page of the lists read whole that is in and not compared yet (``_compare``). Called
        by the run's own thread between its writes (while it waits for CDC, and before the refresh): the
        pipeline threads only fetch, so no comparison holds the interpreter while the run writes. A page
        whose fetch failed is left to ``_apply_whole``, which fails its entity."""
        for read in self.whole.values():
            for start, future in read.pages:
                if start in read.compared or not future.done() or future.exception() is not None:
                    continue
                try:
                    read.compared[start] = self._compare(read.entity, future.result())
                except Exception as exc:  # failed when ``_apply_whole`` comes to it, as its entity's failure
                    read.errors[start] = exc

    def _compare(self, entity: Entity, rows: list[msgspec.Raw]) -> _PageChanges:
        """One page of a name list read whole, compared with the mirror as ``start`` read it. Every row is
        read for its Id, SyncToken and balance only (``_BALANCE_ROWS``), never built as a dict of
        ``Decimal``s; a row is decoded in full only if its SyncToken differs from the mirror's (or it is not
        shaped as expected): QBO changed more than its balance. A row this run already wrote from CDC's
        answer in that very version (``note_written``) is not decoded again."""
        self.read_mirror()
        stored = self.stored[entity]
        written = self.written.get(entity, {})
        decoder = _BALANCE_ROWS[entity]
        changes = _PageChanges(len(rows))
        for raw in rows:
            try:
                row = decoder.decode(raw)
            except msgspec.ValidationError:  # not the shape expected: decoded in full, the mapping judges it
                payload = loads_json(raw)
                if _differs(payload, stored, _balance_field(entity)):
                    changes.rows.append(payload)
                continue
            mirror = stored.get(row.id)
            if mirror is None:
                continue
            if row.sync_token != mirror[0]:
                if written.get(row.id) != (row.sync_token, row.balance):
                    changes.rows.append(loads_json(raw))
            elif row.balance != mirror[1]:
                try:
                    to_cents(row.balance)
                except ValueError:  # the mirror cannot hold it: written in full, so the row is quarantined
                    changes.rows.append(loads_json(raw))
                else:
                    changes.balances.append((row.id, row.sync_token, row.balance))
        return changes

    def note_written(self, entity: Entity, records: Sequence[Any], written_ids: Iterable[str]) -> None:
        """Remember the SyncToken and computed balance of the rows of a list read whole that the run wrote
        (CDC's answer): the whole read, compared with the mirror as it was before them, sees their new
        SyncToken and would map and write them again for nothing (``_apply_whole``)."""
        if entity not in self.whole:
            return
        column = ENTITIES[entity].computed_balance.column  # type: ignore[union-attr]  # lists read whole have one
        ids = set(written_ids)
        noted = self.written.setdefault(entity, {})
        for record in records:
            if record.qbo_id in ids:
                noted[record.qbo_id] = (record.sync_token, getattr(record, column))

    def tracks(self, entity: Entity) -> bool:
        """Whether the run must note which parties the changes of transaction ``entity`` touch (not when
        its party's list is read whole)."""
        return self.collect_parties and party_of(entity).entity not in self.whole

    def refreshable(self, plan: dict[Entity, SyncMode], states: dict[Entity, SyncStateRecord]) -> set[Entity]:
        """The name lists whose computed balances this run should re-read when transactions changed: not
        those read in full by this run, nor those never synced (their first full sync reads them)."""
        if not self.collect_parties:
            return set()
        return {entity for entity in LIST_ENTITIES if plan.get(entity) is not SyncMode.FULL
                and (entity in plan or (entity in states and states[entity].cursor is not None))}

    def parties_of(self, entity: Entity, objects: Sequence[Any]) -> tuple[set[str], bool]:
        """The vendors or customers changed transactions of ``entity`` belong to, now and in the mirror;
        and whether one of them is unknown (see ``unknown_deletion``)."""
        key = party_of(entity).qbo_ref
        parties = {str(obj[key]["value"]) for obj in objects
                   if isinstance(obj, dict) and isinstance(obj.get(key), dict) and obj[key].get("value")}
        ids = [str(obj["Id"]) for obj in objects if isinstance(obj, dict) and obj.get("Id")]
        mirrored = self.run.store.party_map(self.run.business_id, entity, ids)
        deleted = [obj for obj in objects if isinstance(obj, dict) and is_deleted(obj)]
        unknown = any(self.unknown_deletion(entity, str(obj.get("Id")), last_updated(obj), mirrored)
                      for obj in deleted)
        return parties | set(mirrored.values()), unknown

    def unknown_deletion(self, entity: Entity, qbo_id: str, deleted_at: str | None, mirrored: dict[str, str]
                          ) -> bool:
        """A document deleted in QBO that the mirror never held (created and deleted between two syncs):
        its party's balance moved and nothing says which party. Deletions from before the previous run
        of the entity started were that run's to handle."""
        if qbo_id in mirrored:
            return False
        previous = self.previous_start.get(entity)
        when = parse_qbo_time(deleted_at)
        return previous is None or when is None or when >= previous

    def tasks_for(self, entity: Entity, ids: set[str] | None) -> list[tuple[Entity, str]]:
        if ids is None:
            return [(entity, select_statement(entity.value, ALL_ACTIVE, "Id", 1, self.run.page_size))]
        return [(entity, statement) for statement in id_statements(entity, ids, self.run.config.ids_per_query)]

    def prefetch(self, entity: Entity, ids: set[str] | None) -> None:
        """Start reading a name list's balances now (its first page for None), for ``_refresh_balances``;
        nothing for a list read whole (``start``)."""
        if entity in self.whole:
            return
        if ids is None:
            if entity in self.prefetched_all:
                return
            self.prefetched_all.add(entity)
            tasks = self.tasks_for(entity, None)
        else:
            ids = ids - self.prefetched_ids.setdefault(entity, set())
            if not ids:
                return
            self.prefetched_ids[entity].update(ids)
            self.parties[entity].update(ids)
            tasks = self.tasks_for(entity, ids)
        for task in tasks:
            self.prefetched[task] = self.run.pipeline.submit(self.run.qbo.rows, task)

    def read_list(self, entity: Entity, first: list[dict]) -> list[dict]:
        """Every row of a name list, given its first page: the other pages are read concurrently."""
        rows = list(first)
        if len(first) < self.run.page_size:
            return rows
        total = self.run.qbo.count(entity.value, ALL_ACTIVE)

        def page(start: int) -> list[dict]:
            return self.run.qbo.query_page(entity.value, start, ALL_ACTIVE, "Id", self.run.page_size)

        last = self.run.page_size
        size = self.run.page_size
        for _start, future in self.run.pipeline.ordered(range(size + 1, total + 1, size), page):
            last = len(result := future.result())
            rows.extend(result)
        start = after_pages(max(total, self.run.page_size), self.run.page_size)
        while last == self.run.page_size:  # a full last page: there may be more rows
            last = len(result := page(start))
            rows.extend(result)
            start += self.run.page_size
        return rows

    def refresh(self, plan: dict[Entity, SyncMode], states: dict[Entity, SyncStateRecord]) -> None:
        """Re-read what QBO's computed balances may have moved (see the module docstring): every account,
        the touched vendors and customers (all of them after a change whose party is unknown), all
        requests at once (some started earlier by ``_prefetch``)."""
        refreshable = self.refreshable(plan, states)
        started = self.prefetched_all | set(self.prefetched_ids) | set(self.whole)
        if not refreshable or self.run.fatal is not None or not (self.transactions_touched or started & refreshable):
            return
        wanted: dict[Entity, set[str] | None] = {}
        whole: list[WholeRead] = []
        for entity in sorted(refreshable, key=ENTITY_ORDER.index):
            if entity in self.run.failed:  # its balances stay unread: read the transactions' changes again
                self.balances_ok = False
                continue
            if entity in self.whole:
                whole.append(self.whole[entity])
                continue
            ids = None if entity is Entity.ACCOUNT or entity in self.parties_all else self.parties[entity]
            if ids is None or ids:
                wanted[entity] = ids
        tasks: list[tuple[Entity, str]] = []
        for entity, ids in wanted.items():
            result = self.run.results.setdefault(entity, EntitySyncResult(entity))
            result.mode = result.mode or SyncMode.REFRESH
            if ids is None:
                tasks.extend(self.tasks_for(entity, None))
            else:
                tasks.extend(task for task in self.prefetched if task[0] is entity)
                rest = ids - self.prefetched_ids.get(entity, set())
                if rest:
                    tasks.extend(self.tasks_for(entity, rest))
        for read in whole:
            result = self.run.results.setdefault(read.entity, EntitySyncResult(read.entity))
            result.mode = result.mode or SyncMode.REFRESH
        payloads: dict[Entity, list[dict]] = {entity: [] for entity in wanted}
        try:
            self.run.check()
            # Pages compared in the order they come in; a list written as soon as all its pages are in, while
            # the others' pages still travel.
            remaining = list(whole)
            while remaining:
                self.compare_ready()
                ready = [read for read in remaining if all(future.done() for _start, future in read.pages)]
                if not ready:
                    wait([future for read in remaining for _start, future in read.pages if not future.done()],
                         return_when=FIRST_COMPLETED)
                    continue
                for read in ready:
                    remaining.remove(read)
                    if read.entity in self.run.failed:
                        continue
                    self.run.check()
                    with self.run.guard(read.entity):
                        self._apply_whole(read)
            for (entity, _statement), future in self.run.pipeline.ordered(tasks, self.run.qbo.rows, self.prefetched):
                if entity not in self.run.failed:
                    with self.run.guard(entity):
                        payloads[entity].extend(future.result())
            for entity, ids in wanted.items():
                if entity in self.run.failed:
                    continue
                self.run.check()
                with self.run.guard(entity):
                    rows = self.read_list(entity, payloads[entity]) if ids is None else payloads[entity]
                    for start in range(0, len(rows), self.run.page_size):
                        self.run.apply(entity, rows[start:start + self.run.page_size], SyncMode.REFRESH, set())
                    if entity not in self.run.entities:
                        self.run.completed.add(entity)
        except RunStopped:
            return
        finally:
            if any(entity in self.run.failed for entity in [*wanted, *(read.entity for read in whole)]):
                self.balances_ok = False

    def _apply_whole(self, read: WholeRead) -> None:
        """Write what changed in a name list read whole, compared with the mirror as it was when the run
        started (``_compare``): the rows whose SyncToken differs are mapped and written; the others
        whose balance differs get their new balance only, where the mirror still holds that SyncToken.
        Rows the mirror lacked are new, which CDC reports, or quarantined, which are retried by id; a row
        CDC rewrote meanwhile has a new SyncToken and is written again, which changes nothing or brings it
        to QBO's later version."""
        entity, size = read.entity, self.run.page_size
        changes = _PageChanges(0)
        last = size
        for start, future in read.pages:
            page = read.compared.get(start)
            if page is None:
                if start in read.errors:
                    raise read.errors[start]
                page = read.compared[start] = self._compare(entity, future.result())
            changes.add(page)
            last = page.count
        start = read.pages[-1][0] + size
        while last == size:  # QBO has more rows than the mirror had: read on
            page = self._compare(entity, self._fetch_page(entity, start))
            changes.add(page)
            last = page.count
            start += size
        written = self.written.get(entity)
        if written:  # rows the run wrote from CDC's answer: written again only if QBO moved them since
            field_name = _balance_field(entity)
            changes.rows = [row for row in changes.rows if _differs(row, written, field_name)]
        result = self.run.results[entity]
        result.fetched += changes.count - len(changes.rows)
        result.upserted += self.run.store.update_computed_balances(self.run.business_id, entity, changes.balances)
        for first in range(0, len(changes.rows), size):
            self.run.apply(entity, changes.rows[first:first + size], SyncMode.REFRESH, set())
        if entity not in self.run.entities:
            self.run.completed.add(entity)


def _differs(row: Any, mirrored: dict[str, tuple[str, Decimal]], field: str) -> bool:
    """Whether a name-list row read whole must be written: it is mirrored and its SyncToken or computed
    balance differs from the mirror's (anything unreadable is written, so the mapping judges it)."""
    if not isinstance(row, dict):
        return False
    stored = mirrored.get(str(row.get("Id")))
    if stored is None:
        return False
    token, balance = stored
    if row.get("SyncToken") != token:
        return True
    value = row.get(field, 0)  # QBO leaves out properties without a value; the mapping reads that as 0
    if isinstance(value, Decimal | int) and not isinstance(value, bool):  # numbers are decoded exactly
        return bool(value != balance)
    try:
        return Decimal(str(value)) != balance
    except InvalidOperation:
        return True
