"""Pattern 3: copy QBO into the mirror, per business (QBO company) and entity.

``SyncService.sync_business`` runs one business; ``sync_all`` runs many, a few at a time (a thread pool
of ``max_parallel_businesses``). Each entity of a business is read one of three ways:

- **full** (no cursor yet, or asked for): every row, ``Active IN (true, false)`` for the name lists so
  inactive vendors, customers and accounts are mirrored too, in pages of ``MAXRESULTS 1000`` fetched
  concurrently (the counts and every entity's first page at once, then the pages of all entities of the
  run through one pipeline, each written as soon as it arrives, so the realm's request budget stays busy
  across entity boundaries); then a reconcile: mirror rows the read did not see are looked up by id (offset
  paging can skip a row when another is deleted meanwhile) and deleted if QBO no longer has them;
- **cdc** (cursor younger than ``cdc_max_age``, 29 days): change data capture for all such entities, hard
  deletes included, split over ``cdc_calls`` concurrent calls over disjoint entity sets (``_cdc``). If an
  answer holds QBO's cap of 1000 objects it may be truncated: each of its entities is asked again on its
  own, and an entity still at the cap falls back to the query path;
- **query** (older cursor, or a CDC fallback): ``Metadata.LastUpdatedTime >= cursor``, paged, then a
  reconcile of ids (every QBO Id listed and compared with the mirror) to find deletes, which plain
  queries never return.

Writes are page by page, each page in its own transaction (``SyncStore.apply``): idempotent upserts keyed
by ``(business_id, qbo_id)`` that never move a row back to an older SyncToken and skip rows that did not
change. An entity that cannot be mapped (``MalformedEntityError``) or stored is quarantined
(``sync_quarantine``) and the sync goes on; quarantined ids are read again by id at the end of every run
and leave the quarantine once they sync fine.

Cursors (``sync_state.cursor``): the earliest ``time`` QBO stamped on an answer of the run (QBO's clock,
in the company's UTC offset; the host clock at the run's start only if no answer carried one) minus
``cursor_overlap`` (QBO's commit lag), stored only after the entity's rows are committed. Rows changed
while a run pages through QBO are therefore read again by the next run instead of being skipped, and a
skewed host clock cannot make a run skip changes; re-reading is harmless. A failed entity keeps its cursor
and records the failure (``record_sync_failure``); the next run retries it. One failing entity or
business never stops the others; an authentication failure (the company must reconnect) ends that
business's run.

Computed balances: QBO changes a vendor's or customer's ``Balance`` and an account's ``CurrentBalance``
without touching their SyncToken or LastUpdatedTime; ``BalanceRefresh`` (``infra.jobs.balances``) reads
them in the round trip of the CDC call (the accounts and, when they fit in the realm's in-flight budget,
the whole vendor and customer lists), or re-reads the touched parties once CDC has named them. What a
read missed is found by ``Reconciler`` (``infra.jobs.reconcile``); pages are fetched through
``BoundedPipeline`` (``infra.jobs.pipeline``) and ``RealmReads`` (``infra.jobs.reads``), which also notes
the ``time`` of QBO's answers for the cursors.

The heap: a process that syncs should freeze its start-up objects once (``infra.jobs.heap``; the
composition root does it when it builds the sync service), so the collector's full passes never walk them
on an incremental's critical path. On SQLite, the run checkpoints the write-ahead log while it waits for
the CDC answer (``SyncStore.checkpoint``).

One sync at a time per business: ``BusinessLocks`` (a PostgreSQL advisory lock, or a lock row on SQLite,
``infra.db.sync_locks``); a second sync of a locked business returns at once with ``skipped``, and a run
whose lock is lost (its database stopped answering) stops between pages. The QBO client's per-realm limiter
bounds every request made here (it is never bypassed).
"""

from __future__ import annotations

import logging
import weakref
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from infra.clock import utc_now
from infra.db.entities import ENTITY_ORDER, LIST_ENTITIES, TRANSACTIONS, party_of, to_record
from infra.db.sync_locks import BusinessLocks, HeldLock
from infra.db.sync_store import QuarantineItem, SyncStore
from infra.interfaces.errors import QboAuthError, QboError, QboValidationError, RecordNotFound, StorageError
from infra.interfaces.patterns import sync_job
from infra.interfaces.records import Entity, SyncStateRecord
from infra.jobs.balances import BalanceRefresh
from infra.jobs.cursors import format_cursor, offset_of, parse_qbo_time
from infra.jobs.pipeline import BoundedPipeline, PipelineThreads
from infra.jobs.reads import ALL_ACTIVE, RealmReads, after_pages, all_where, last_updated
from infra.jobs.reconcile import Reconciler
from infra.jobs.results import BusinessSyncResult, EntitySyncResult, Progress, RunStopped, SyncMode
from infra.qbo import (
    CDC_MAX_OBJECTS,
    MAX_PAGE_SIZE,
    MalformedEntityError,
    QboClient,
    is_deleted,
    qbo_literal,
    to_deleted,
)
from infra.settlement import DEFAULT_GIVE_UP_AFTER, settle_pending_payments

__all__ = ["ENTITY_ORDER", "SyncConfig", "SyncJob", "SyncService", "normalize_entities"]

logger = logging.getLogger("infra.jobs.sync")


@dataclass(frozen=True, slots=True)
class SyncConfig:
    """Tuning of the sync (defaults suit QBO production).

    cdc_max_age:       a cursor younger than this uses CDC (QBO looks back 30 days at most).
    cursor_overlap:    how far before the run's first QBO answer (its ``time``) the next run reads from
                       (QBO's commit lag must be smaller).
    page_size:         MAXRESULTS of each page (QBO's maximum is 1000).
    page_workers:      pages fetched concurrently per business (default: the realm limiter's in-flight cap).
    ids_per_query:     ids per ``Id IN (...)`` lookup (reconcile, quarantine retries, balance refresh).
    quarantine_retry_limit: quarantined ids read again per entity per run.
    lock_ttl:          expiry of a SQLite lock row (renewed every third of it while the sync runs).
    refresh_balances:  read the computed balances of accounts, vendors and customers when the run reads
                       transactions (``infra.jobs.balances``).
    pending_payment_bound: a pending payment of ours not found in QBO after this long was never made
                       (``infra.settlement``): the run's last step removes it.
    cdc_calls:         concurrent CDC calls an incremental run splits its entities over (disjoint sets; fewer
                       when the realm's in-flight budget has no room beside the balance re-read's pages).
    """

    cdc_max_age: timedelta = timedelta(days=29)
    cursor_overlap: timedelta = timedelta(minutes=5)
    page_size: int = MAX_PAGE_SIZE
    page_workers: int | None = None
    ids_per_query: int = 200
    quarantine_retry_limit: int = 1000
    lock_ttl: timedelta = timedelta(minutes=5)
    refresh_balances: bool = True
    pending_payment_bound: timedelta = DEFAULT_GIVE_UP_AFTER
    cdc_calls: int = 2

    def __post_init__(self) -> None:
        if not 1 <= self.page_size <= MAX_PAGE_SIZE:
            raise ValueError(f"page_size must be between 1 and {MAX_PAGE_SIZE}")
        if self.ids_per_query < 1 or self.cdc_calls < 1 or (self.page_workers is not None and self.page_workers < 1):
            raise ValueError("ids_per_query, cdc_calls and page_workers must be positive")
        if self.cursor_overlap < timedelta(0) or self.cdc_max_age <= timedelta(0):
            raise ValueError("cursor_overlap must not be negative and cdc_max_age must be positive")
        if self.pending_payment_bound <= timedelta(0):
            raise ValueError("pending_payment_bound must be positive")


@dataclass(frozen=True, slots=True)
class SyncJob:
    """One business to sync: which entities (None: all) and whether to read them in full."""

    business_id: int
    entities: frozenset[Entity] | None = None
    full: bool = False


def normalize_entities(entities: Iterable[Entity | str] | None) -> tuple[Entity, ...]:
    """``entities`` (``Entity`` values or QBO names in any case) in sync order; all of them for None."""
    if entities is None:
        return ENTITY_ORDER
    by_lower = {entity.value.lower(): entity for entity in Entity}
    wanted = set()
    for entity in entities:
        name = entity.value if isinstance(entity, Entity) else str(entity)
        found = by_lower.get(name.strip().lower())
        if found is None:
            raise ValueError(f"not a mirrored QBO entity: {entity!r} (one of {', '.join(e.value for e in Entity)})")
        wanted.add(found)
    return tuple(entity for entity in ENTITY_ORDER if entity in wanted)


@sync_job
class SyncService:
    """Syncs businesses from QBO into the mirror (see the module docstring). Thread-safe.

    ``clock`` gives the current instant (aware); it decides the cursors and the CDC window and should be
    the clock QBO runs on (the wall clock in production; a sandbox's clock in tests).
    """

    def __init__(self, session_factory: sessionmaker[Session], client: QboClient, *,
                 clock: Callable[[], datetime] = utc_now, max_parallel_businesses: int = 4,
                 config: SyncConfig | None = None, locks: BusinessLocks | None = None) -> None:
        if max_parallel_businesses < 1:
            raise ValueError("max_parallel_businesses must be at least 1")
        self.config = config or SyncConfig()
        self.session_factory = session_factory
        self.client = client
        self.clock = clock
        self.max_parallel_businesses = max_parallel_businesses
        self.store = SyncStore(session_factory)
        self.locks = locks or BusinessLocks(session_factory, ttl=self.config.lock_ttl)
        #: the runs' pipeline threads, kept between runs (``infra.jobs.pipeline``), stopped with the service
        self.pipeline_threads = PipelineThreads()
        weakref.finalize(self, self.pipeline_threads.close)

    @sync_job
    def sync_business(self, business_id: int, full: bool = False, entities: Iterable[Entity | str] | None = None,
                      progress: Progress | None = None) -> BusinessSyncResult:
        """Sync one business now (or report ``skipped`` if another sync holds its lock)."""
        wanted = normalize_entities(entities)
        result = BusinessSyncResult(business_id, started_at=self.clock())
        try:
            business = self.store.get_business(business_id)
            result.realm_id = business.qbo_realm_id
            held = self.locks.try_acquire(business_id)
            if held is None:
                logger.info("business %s is already being synced: skipped", business_id)
                result.skipped = True
            else:
                run: _BusinessRun | None = None
                try:
                    run = _BusinessRun(self, business_id, business.qbo_realm_id, wanted, full, progress, held)
                    result.entities = run.execute()
                finally:
                    held.release()
                    if run is not None:
                        run.release()
        except RecordNotFound as exc:
            result.error = str(exc)
        except Exception as exc:  # a business must never take the others down with it
            logger.exception("sync of business %s failed", business_id)
            result.error = f"{type(exc).__name__}: {exc}"
        result.finished_at = self.clock()
        return result

    @sync_job
    def sync_all(self, full: bool = False, business_ids: Iterable[int] | None = None,
                 progress: Progress | None = None) -> list[BusinessSyncResult]:
        """Sync every business (or those of ``business_ids``), ``max_parallel_businesses`` at a time."""
        ids = list(business_ids) if business_ids is not None else [b.id for b in self.store.list_businesses()]
        return self.sync_many([SyncJob(business_id, None, full) for business_id in ids], progress)

    @sync_job
    def sync_many(self, jobs: Sequence[SyncJob], progress: Progress | None = None) -> list[BusinessSyncResult]:
        """Run ``jobs`` (each its own entities and mode), ``max_parallel_businesses`` at a time; results in
        the order of ``jobs``."""
        if not jobs:
            return []
        workers = min(self.max_parallel_businesses, len(jobs))
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="sync-business") as pool:
            futures = [pool.submit(self.sync_business, job.business_id, job.full, job.entities, progress)
                       for job in jobs]
            return [future.result() for future in futures]


#: A mapped page: records, ids QBO deleted, entities to quarantine.
_Mapped = tuple[list[Any], list[str], list[QuarantineItem]]


class _BusinessRun:
    """One run of one business (one thread, plus a pool fetching pages for it)."""

    def __init__(self, service: SyncService, business_id: int, realm_id: str, entities: tuple[Entity, ...],
                 full: bool, progress: Progress | None, held: HeldLock) -> None:
        self.client = service.client
        self.threads = service.pipeline_threads
        self.store = service.store
        self.config = service.config
        self.clock = service.clock
        self.business_id = business_id
        self.realm_id = realm_id
        self.entities = entities
        self.full = full
        self.progress = progress
        self.held = held
        self.results: dict[Entity, EntitySyncResult] = {entity: EntitySyncResult(entity) for entity in entities}
        self.failed: set[Entity] = set()
        self.completed: set[Entity] = set()
        self.fatal: Exception | None = None
        self.tz: timezone | None = None
        self.quarantined_keys: dict[Entity, set[str]] = {entity: set() for entity in Entity}
        self.known: dict[Entity, set[str]] = {}
        self.workers = self.config.page_workers or max(1, self.client.limiters.max_in_flight)
        self.page_size = self.config.page_size
        self.started = self.clock()
        self.qbo = RealmReads(self.client, realm_id)
        self.balances = BalanceRefresh(self)

    # -- the run ------------------------------------------------------------------------------------

    def release(self) -> None:
        """Drop everything the finished run holds. Its balance refresh and reconciler point back at it, a
        reference cycle: left alone, the run (a full sync's ids of every mirrored row, its pages, its
        futures) would wait for the collector's next full pass, which then costs about 0.1 s at whatever
        moment it falls on, typically the critical path of the next run. Dropped here, reference counting
        frees it now. The run cannot be used afterwards."""
        vars(self).clear()

    def execute(self) -> dict[Entity, EntitySyncResult]:
        states = self.store.sync_states(self.business_id)
        for state in states.values():
            self.tz = self.tz or offset_of(state.cursor)
        plan = {entity: self._mode(states.get(entity)) for entity in self.entities}
        for entity, state in states.items():
            cursor = parse_qbo_time(state.cursor)
            self.balances.previous_start[entity] = None if cursor is None else cursor + self.config.cursor_overlap
        refreshable = self.balances.refreshable(plan, states)
        for entity in TRANSACTIONS:
            # Offset reads see no hard deletes: a document created and deleted since the last sync moved
            # its party's balance unseen. Rare (first syncs, old cursors, recovery): re-read that list.
            if plan.get(entity) in (SyncMode.FULL, SyncMode.QUERY) and party_of(entity).entity in refreshable:
                self.balances.parties_all.add(party_of(entity).entity)
        self.pipeline = BoundedPipeline(self.workers, f"sync-{self.realm_id}", self.threads)
        self.reconciler = Reconciler(
            self.qbo, self.store, self.pipeline, self.business_id, page_size=self.page_size,
            ids_per_query=self.config.ids_per_query,
            apply=lambda entity, payloads, deleted: self.apply(entity, payloads, SyncMode.QUERY, set(),
                                                                deleted=deleted))
        try:
            if not any(mode is SyncMode.CDC for mode in plan.values()):
                self.balances.start(plan, states)  # else right after the CDC calls are sent (``_cdc``)
                self.balances.read_mirror()
            full = [entity for entity in self.entities if plan[entity] is SyncMode.FULL]
            self._paged({entity: all_where(entity) for entity in full}, SyncMode.FULL)
            fallback = self._cdc([entity for entity in self.entities if plan[entity] is SyncMode.CDC], states, plan)
            query = [entity for entity in self.entities
                     if plan[entity] is SyncMode.QUERY or entity in fallback]
            self._paged({entity: self._changed_where(entity, states[entity].cursor) for entity in query},
                        SyncMode.QUERY)
            self._retry_quarantine()
            self.balances.refresh(plan, states)
        finally:
            self.pipeline.shutdown()
        self._record(states)
        settle_pending_payments(self.store, self.client, self.business_id, self.realm_id, now=self.clock(),
                                give_up_after=self.config.pending_payment_bound)
        return dict(self.results)

    def _mode(self, state: SyncStateRecord | None) -> SyncMode:
        cursor = parse_qbo_time(state.cursor) if state is not None else None
        if self.full or cursor is None:
            return SyncMode.FULL
        if self.started - cursor < self.config.cdc_max_age:
            return SyncMode.CDC
        return SyncMode.QUERY

    def _new_cursor(self) -> str:
        """The earliest ``time`` QBO stamped on an answer of this run, minus the overlap, in the company's
        offset: every change QBO had committed before that answer is in what this run read. QBO's clock,
        not this host's, so a skewed host clock cannot make the next run skip changes. The host clock at
        the start of the run only when no answer carried a time."""
        earliest = self.qbo.earliest_time
        if earliest is None:
            return format_cursor(self.started - self.config.cursor_overlap, self.tz)
        return format_cursor(earliest - self.config.cursor_overlap, self.tz or earliest.tzinfo)

    def _record(self, states: dict[Entity, SyncStateRecord]) -> None:
        at = self.clock()
        cursor = self._new_cursor()
        successes: dict[Entity, str | None] = {}
        for entity, result in self.results.items():
            if result.error is None and entity not in self.completed:
                result.error = (f"not synced: {type(self.fatal).__name__}: {self.fatal}" if self.fatal
                                else "not synced")
            if result.error is not None:
                self.store.record_failure(self.business_id, entity, result.error, at)
                continue
            if result.mode is SyncMode.REFRESH and entity not in self.entities:
                continue  # only re-read for balances: its own cursor is not this run's business
            new = cursor
            old = states[entity].cursor if entity in states else None
            if entity in TRANSACTIONS and not self.balances.balances_ok and old is not None:
                new = old  # the balances these changes moved were not re-read: read the changes again
            successes[entity] = new
            result.cursor = new
        self.store.record_successes(self.business_id, successes, at)

    # -- failures -----------------------------------------------------------------------------------

    @contextmanager
    def guard(self, entity: Entity) -> Iterator[None]:
        """Record an exception as the failure of ``entity``; authentication failures end the run."""
        try:
            yield
        except RunStopped:
            raise
        except QboAuthError as exc:
            self._fail(entity, exc)
            self.fatal = exc
            raise RunStopped(str(exc)) from exc
        except Exception as exc:
            if not isinstance(exc, StorageError | QboError):
                logger.exception("unexpected error syncing %s of business %s", entity.value, self.business_id)
            self._fail(entity, exc)

    def _fail(self, entity: Entity, exc: BaseException) -> None:
        result = self.results.setdefault(entity, EntitySyncResult(entity))
        if result.error is None:
            result.error = f"{type(exc).__name__}: {exc}"[:2000]
        self.failed.add(entity)
        logger.warning("sync of %s for business %s failed: %s", entity.value, self.business_id, result.error)

    def check(self) -> None:
        if self.held.lost and self.fatal is None:
            self.fatal = StorageError("the business's sync lock was lost")
        if self.fatal is not None:
            raise RunStopped(str(self.fatal))

    def _not_failed(self, entities: Iterable[Entity]) -> list[Entity]:
        """The entities of ``entities`` that have not failed in this run (a failed one is not read again)."""
        return [entity for entity in entities if entity not in self.failed]

    # -- reading ------------------------------------------------------------------------------------

    def _changed_where(self, entity: Entity, cursor: str | None) -> str:
        where = f"Metadata.LastUpdatedTime >= {qbo_literal(cursor or '')}"
        return f"{where} AND {ALL_ACTIVE}" if entity in LIST_ENTITIES else where

    def _paged(self, wheres: dict[Entity, str | None], mode: SyncMode) -> None:
        """Read ``wheres`` (entity -> filter) page by page, concurrently across all of them, applying each
        page as it arrives (in order); then reconcile each entity that was read completely."""
        try:
            self.check()
            if not wheres:
                return
            for entity in wheres:
                self.results[entity].mode = mode

            def fetch(task: tuple[Entity, int]) -> list[dict] | None:
                entity, start = task
                if entity in self.failed or self.fatal is not None:
                    return None
                return self.qbo.query_page(entity.value, start, wheres[entity], "Id",
                                              self.page_size)

            # The counts, and meanwhile (speculatively) every entity's first page.
            totals: dict[Entity, int] = {}
            counted = {entity: self.pipeline.submit(self.qbo.count, entity.value, where)
                       for entity, where in wheres.items()}
            first = {(entity, 1): self.pipeline.submit(fetch, (entity, 1)) for entity in wheres}
            for entity, future in counted.items():
                with self.guard(entity):
                    totals[entity] = future.result()
            self.check()
            tasks = [(entity, start) for entity in self._not_failed(wheres) for start in
                     range(1, totals[entity] + 1, self.page_size)]

            seen: dict[Entity, set[str]] = {entity: set() for entity in wheres}
            done = dict.fromkeys(wheres, 0)
            last: dict[Entity, int] = {}  # the size of the page at the highest start position
            for (entity, start), future in self.pipeline.as_completed(tasks, fetch, first):
                self.check()
                if entity in self.failed:
                    continue
                with self.guard(entity):
                    rows = future.result()
                    if rows is None:
                        continue
                    self.apply(entity, rows, mode, seen[entity])
                    done[entity] += len(rows)
                    if start == after_pages(totals[entity], self.page_size) - self.page_size:
                        last[entity] = len(rows)
                    self._report(entity, done[entity], max(totals[entity], done[entity]))
            for entity in self._not_failed(wheres):
                self.check()
                with self.guard(entity):
                    if last.get(entity) == self.page_size:  # a full last page: there may be more rows
                        start: int | None = after_pages(totals[entity], self.page_size)
                        while start is not None:
                            rows = self.qbo.query_page(entity.value, start, wheres[entity],
                                                          "Id", self.page_size)
                            self.apply(entity, rows, mode, seen[entity])
                            done[entity] += len(rows)
                            start = start + self.page_size if len(rows) == self.page_size else None
                    if mode is SyncMode.FULL:
                        self.reconciler.after_full_read(entity, seen[entity], totals[entity],
                                                        self.quarantined_keys[entity])
                    else:
                        self.reconciler.after_query_read(entity, seen[entity])
                    self.completed.add(entity)
                    self._report(entity, done[entity], done[entity])
        except RunStopped:
            return

    def _cdc(self, entities: list[Entity], states: dict[Entity, SyncStateRecord], plan: dict[Entity, SyncMode]
             ) -> list[Entity]:
        """Change data capture for ``entities``; returns those that must take the query path instead.

        The entities are split over up to ``cdc_calls`` concurrent CDC calls (disjoint sets, ``_cdc_groups``),
        as many as the realm's in-flight budget leaves beside the whole name lists read for the balances
        (``BalanceRefresh.layout``): a smaller answer arrives sooner, and the first is written while the
        others travel. The accounts, and the whole vendor and customer lists when they fit in that budget,
        are read during the CDC calls (``BalanceRefresh.start``); otherwise the vendors and customers of the
        changed transactions are requested as soon as an answer is in, while the changes are being written
        (see ``BalanceRefresh.refresh``). While it waits, the run compares the list pages that are in."""
        try:
            self.check()
            if not entities:
                return []
            for entity in entities:
                self.results[entity].mode = SyncMode.CDC
            free = self.pipeline.workers - self.balances.layout(plan, states)
            # The CDC calls first (QBO may answer in arrival order), then everything that does not depend on
            # their answers: the accounts and the whole vendor and customer lists (``BalanceRefresh.start``).
            asked = {self.pipeline.submit(self.qbo.cdc, [entity.value for entity in group],
                                          _earliest(states[entity].cursor for entity in group)): group
                     for group in _cdc_groups(entities, max(1, min(self.config.cdc_calls, free)))}
            self.balances.start(plan, states)
            if Entity.ACCOUNT in self.balances.refreshable(plan, states):
                self.balances.prefetch(Entity.ACCOUNT, None)  # unless read whole by ``start``
            try:
                self.store.checkpoint()  # while QBO answers, not in the commits that write its answer
            except StorageError as exc:  # housekeeping: SQLite checkpoints at a later commit instead
                logger.warning("checkpoint before CDC failed for business %s: %s", self.business_id, exc)
            self.balances.read_mirror()  # after the checkpoint, which lets the requests leave meanwhile
            fallback: list[Entity] = []
            waiting = set(asked)
            while waiting:
                done, _ = wait([*waiting, *self.balances.pending()], return_when=FIRST_COMPLETED)
                self.balances.compare_ready()
                for future, group in asked.items():  # in the order asked when several are in
                    if future in done and future in waiting:
                        waiting.discard(future)
                        fallback.extend(self._cdc_answer(group, future, states, plan))
            return fallback
        except RunStopped:
            return []

    def _cdc_answer(self, entities: list[Entity], asked: Future[dict[str, list[dict]]],
                    states: dict[Entity, SyncStateRecord], plan: dict[Entity, SyncMode]) -> list[Entity]:
        """Write the answer of one CDC call for ``entities``; returns those that must take the query path."""
        try:
            answer = asked.result()
        except QboValidationError as exc:  # e.g. QBO judges the cursor older than its 30 days
            logger.info("CDC refused for business %s (%s): using the query path", self.business_id, exc)
            return list(entities)
        except QboAuthError as exc:  # ends the run, as for any read (``guard``): the other answers are not written
            for entity in entities:
                self._fail(entity, exc)
            self.fatal = exc
            raise RunStopped(str(exc)) from exc
        except Exception as exc:
            for entity in entities:
                self._fail(entity, exc)
            return []
        changes = {entity: answer.get(entity.value, []) for entity in entities}
        fallback: list[Entity] = []
        if sum(len(objects) for objects in changes.values()) >= CDC_MAX_OBJECTS:
            if len(entities) == 1:
                return list(entities)
            # The answer may be truncated: ask each entity on its own (concurrently).
            alone = {entity: self.pipeline.submit(self.qbo.cdc, [entity.value],
                                                  states[entity].cursor) for entity in entities}
            for entity, future in alone.items():
                with self.guard(entity):
                    objects = future.result().get(entity.value, [])
                    if len(objects) >= CDC_MAX_OBJECTS:
                        fallback.append(entity)
                    else:
                        changes[entity] = objects
        refreshable = self.balances.refreshable(plan, states)
        for entity in self._not_failed(entities):
            if entity in TRANSACTIONS and entity not in fallback and changes[entity] and \
                    party_of(entity).entity in refreshable and self.balances.tracks(entity):
                with self.guard(entity):
                    parties, unknown = self.balances.parties_of(entity, changes[entity])
                    if unknown:
                        self.balances.parties_all.add(party_of(entity).entity)
                    self.balances.prefetch(party_of(entity).entity, None if unknown else parties)
        for entity in self._not_failed(entities):
            if entity in fallback:
                continue
            self.check()
            with self.guard(entity):
                objects = changes[entity]
                seen: set[str] = set()
                for start in range(0, len(objects), self.page_size):
                    self.apply(entity, objects[start:start + self.page_size], SyncMode.CDC, seen)
                self.completed.add(entity)
                self._report(entity, len(objects), len(objects))
        return fallback

    # -- quarantine ------------------------------------------------------------------------------

    def _retry_quarantine(self) -> None:
        """Read again, by id, what earlier runs quarantined (it may have been fixed in QBO)."""
        quarantined = self.store.quarantined_entities(self.business_id)
        for entity in self._not_failed(self.entities):
            if entity not in quarantined:
                continue
            if self.fatal is not None:
                return
            now_quarantined = self.quarantined_keys[entity]
            ids = [qbo_id for qbo_id in self.store.quarantined_ids(
                self.business_id, entity, limit=self.config.quarantine_retry_limit + len(now_quarantined))
                if qbo_id not in now_quarantined][:self.config.quarantine_retry_limit]
            if not ids:
                continue
            try:
                with self.guard(entity):
                    self.reconciler.look_up(entity, set(ids), deletable=set(ids))
            except RunStopped:
                return

    # -- writing ------------------------------------------------------------------------------------

    def apply(self, entity: Entity, payloads: Sequence[Any], mode: SyncMode, seen: set[str], *,
               deleted: Iterable[str] = ()) -> None:
        """Map one page of QBO objects and write it (one transaction)."""
        records, tombstones, bad = self._map(entity, payloads)
        removed = [*tombstones, *deleted]
        ids = [r.qbo_id for r in records]
        seen.update(ids)
        seen.update(removed)
        seen.update(item.qbo_id for item in bad if item.qbo_id)
        known = self.known.get(entity)
        if known is None and mode in (SyncMode.FULL, SyncMode.QUERY):
            # Big reads: the ids the mirror holds, once, so that only those are read back before a write.
            known = self.known[entity] = self.store.mirror_ids(self.business_id, entity)
        old_parties: set[str] = set()
        track = entity in TRANSACTIONS and mode is not SyncMode.REFRESH and self.balances.tracks(entity)
        mirrored = [qbo_id for qbo_id in ids + removed if known is None or qbo_id in known]
        if track and (mirrored or tombstones):
            party_map = self.store.party_map(self.business_id, entity, mirrored)
            old_parties = set(party_map.values())
            balances = self.balances
            if any(balances.unknown_deletion(entity, qbo_id, balances.tombstones.get((entity, qbo_id)), party_map)
                   for qbo_id in tombstones):
                self.balances.parties_all.add(party_of(entity).entity)
        outcome = self.store.apply(self.business_id, entity, records, deleted_ids=removed, quarantine=bad,
                                   at=self.clock(), known_ids=known)
        if known is not None:
            known.update(outcome.written_ids)
            known.difference_update(removed)
        if mode is SyncMode.CDC and outcome.written_ids:
            self.balances.note_written(entity, records, outcome.written_ids)
        result = self.results.setdefault(entity, EntitySyncResult(entity, mode))
        result.fetched += len(payloads)
        result.upserted += outcome.upserted
        result.deleted += outcome.deleted
        result.quarantined += outcome.quarantined
        result.unquarantined += outcome.unquarantined
        self.quarantined_keys[entity].update(outcome.quarantined_keys)
        if track:
            if mode is SyncMode.FULL:  # a full read touched only what it wrote
                touched = [r for r in records if r.qbo_id in outcome.written_ids]
                changed = bool(touched or outcome.deleted)
            else:  # a change feed: everything it reports changed in QBO
                touched = records
                changed = bool(payloads) or bool(removed)
            if changed:
                self.balances.transactions_touched = True
                party = party_of(entity).entity
                self.balances.parties[party].update(old_parties)
                self.balances.parties[party].update(getattr(r, party_of(entity).field) for r in touched)

    def _map(self, entity: Entity, payloads: Sequence[Any]) -> _Mapped:
        """Records, deleted ids and quarantine items of a page."""
        records: list[Any] = []
        removed: list[str] = []
        bad: list[QuarantineItem] = []
        for payload in payloads:
            if not isinstance(payload, dict):
                bad.append(QuarantineItem(None, f"not a JSON object: {type(payload).__name__}", payload))
                continue
            qbo_id = payload.get("Id")
            qbo_id = None if qbo_id in (None, "") else str(qbo_id)
            try:
                if is_deleted(payload):
                    removed.append(to_deleted(entity, payload).id)
                    self.balances.tombstones[(entity, removed[-1])] = last_updated(payload)
                    continue
                if self.tz is None:
                    self.tz = offset_of(last_updated(payload))
                records.append(to_record(entity, self.business_id, payload))
            except MalformedEntityError as exc:
                bad.append(QuarantineItem(exc.entity_id or qbo_id, exc.reason, payload))
            except Exception as exc:  # a mapping bug must not stop the sync: quarantine and go on
                logger.exception("mapping %s %s of business %s failed", entity.value, qbo_id, self.business_id)
                bad.append(QuarantineItem(qbo_id, f"mapping failed: {type(exc).__name__}: {exc}", payload))
        return records, removed, bad

    def _report(self, entity: Entity, done: int, total: int | None) -> None:
        if self.progress is None:
            return
        try:
            self.progress(self.business_id, entity, done, total)
        except Exception:  # a progress display must not break a sync
            logger.exception("sync progress callback failed")


def _earliest(cursors: Iterable[str | None]) -> str:
    """The earliest of some entities' cursors (the ``changedSince`` of one CDC call for all of them)."""
    return min((cursor for cursor in cursors if cursor is not None),
               key=lambda text: parse_qbo_time(text) or datetime.max.replace(tzinfo=UTC))


def _cdc_groups(entities: Sequence[Entity], calls: int) -> list[list[Entity]]:
    """``entities`` dealt over at most ``calls`` disjoint CDC calls, transactions first (they change most),
    round-robin, each group in sync order: the answers come out of similar size without knowing it ahead."""
    ordered = sorted(entities, key=lambda entity: (entity not in TRANSACTIONS, ENTITY_ORDER.index(entity)))
    groups: list[list[Entity]] = [[] for _ in range(max(1, min(calls, len(ordered))))]
    for index, entity in enumerate(ordered):
        groups[index % len(groups)].append(entity)
    return [sorted(group, key=ENTITY_ORDER.index) for group in groups if group]
