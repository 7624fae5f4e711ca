"""The database side of the background sync (``infra.jobs``): applying QBO changes to the mirror page by
page, quarantining what cannot be stored (``infra.db.quarantine`` keeps, reads and clears the quarantine).
Per-business sync locks are in ``infra.db.sync_locks``, the embedded engine's request queue in
``infra.db.sync_requests`` and worker heartbeats in ``infra.db.heartbeats``.

Every public method is one short transaction (``SessionScoped``).

Applying a page (``SyncStore.apply``) does, in one transaction: read the mirror's SyncTokens of the page's
ids, and in full only the rows whose SyncToken equals the record's (QBO changes computed balances without
a new one); keep only the records that differ (so re-reading unchanged data writes nothing), insert the new
ones (multi-row INSERTs) and upsert the changed ones (keyed by ``(business_id, qbo_id)``, never moving a
row back to an older SyncToken: ``infra.db.upsert``), delete the ids QBO deleted, quarantine the entities
that could not be mapped or stored, and clear the quarantine of every id that now synced fine (or was
deleted).

Importing this module registers the sync tables on ``infra.db.tables.metadata`` (``infra.db.sync_tables``).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import String, Table, bindparam, delete, func, select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from infra.db import mapping
from infra.db._base import CHUNK, chunks
from infra.db.entities import ENTITIES, spec_of_record
from infra.db.quarantine import (
    QuarantineItem,
    QuarantineRecord,
    QuarantineStore,
    clear_quarantine_ids,
    has_quarantine,
    quarantine,
    quarantine_key,
)
from infra.db.tables import (
    businesses,
    sync_state,
)
from infra.db.types import Money, to_cents
from infra.db.upsert import insert_values, upsert_rows
from infra.db.writer import MirrorWriter
from infra.interfaces.errors import RecordNotFound, StorageError
from infra.interfaces.records import (
    BillPaymentRecord,
    BusinessRecord,
    CustomerPaymentRecord,
    Entity,
    SyncStateRecord,
)

__all__ = [
    "ApplyOutcome",
    "QuarantineItem",
    "QuarantineRecord",
    "SyncStore",
    "quarantine_key",
]

logger = logging.getLogger("infra.db.sync_store")


# -- applying QBO data --------------------------------------------------------------------------------

#: Columns not compared when deciding whether a record changes the mirror row (QBO never sends them).
_NOT_COMPARED = frozenset({"id", "business_id", "request_id"})

@dataclass(frozen=True, slots=True)
class ApplyOutcome:
    """What one ``SyncStore.apply`` changed. ``written_ids``: the ids inserted or updated."""

    upserted: int = 0
    deleted: int = 0
    quarantined: int = 0
    unquarantined: int = 0
    written_ids: frozenset[str] = frozenset()
    quarantined_keys: frozenset[str] = frozenset()


_ColumnCheck = tuple[str, bool, bool, int | None]  # name, nullable, money, longest string
_CHECKS: dict[str, tuple[_ColumnCheck, ...]] = {}


def _checks(table: Table) -> tuple[_ColumnCheck, ...]:
    checks = _CHECKS.get(table.name)
    if checks is None:
        checks = tuple((c.name, bool(c.nullable) or c.name == "id", isinstance(c.type, Money),
                        c.type.length if isinstance(c.type, String) else None) for c in table.c)
        _CHECKS[table.name] = checks
    return checks


def _row_problem(table: Table, row: Mapping[str, Any]) -> str | None:
    """Why ``row`` cannot be stored in ``table`` (too long a string, sub-cent money, a missing value), or None."""
    for name, nullable, money, length in _checks(table):
        if name not in row:
            continue
        value = row[name]
        if value is None:
            if not nullable:
                return f"{name} is missing"
        elif money:
            try:
                to_cents(value)
            except ValueError as exc:
                return f"{name}: {exc}"
        elif length is not None and type(value) is str and len(value) > length:
            return f"{name} is longer than {length} characters"
    token = row.get("sync_token")
    if token is not None and not str(token).isdigit():
        return f"SyncToken must be a non-negative integer string, got {token!r}"
    return None


def record_problem(record: Any) -> str | None:
    """Why a mirrored record cannot be stored, or None (checked before writing so one bad entity is
    quarantined instead of failing the whole page)."""
    entity_spec = spec_of_record(type(record))
    return _record_problem(entity_spec.table, record, entity_spec.to_row(record))


def _record_problem(table: Table, record: Any, row: Mapping[str, Any]) -> str | None:
    problem = _row_problem(table, row)
    if problem is None and isinstance(record, BillPaymentRecord | CustomerPaymentRecord):
        for index, line in enumerate(record.lines):
            try:
                to_cents(line.amount)
            except ValueError as exc:
                return f"Line[{index}].Amount: {exc}"
            if len(line.txn_qbo_id) > 64:
                return f"Line[{index}] links an id longer than 64 characters"
    return problem


def _differs(stored: Mapping[str, Any] | None, row: Mapping[str, Any]) -> bool:
    if stored is None:
        return True
    for name, value in row.items():
        if name in _NOT_COMPARED:
            continue
        old = stored[name]
        if isinstance(value, bool) or isinstance(old, bool):
            if bool(old) != bool(value):
                return True
        elif old != value:
            return True
    return False


class SyncStore(QuarantineStore):
    """Reads and writes of the sync jobs, one short transaction per call."""

    def __init__(self, session_factory: sessionmaker[Session]) -> None:
        super().__init__(session_factory)
        self._writer = MirrorWriter(session_factory)

    # -- tenants -------------------------------------------------------------------------------------

    def get_business(self, business_id: int) -> BusinessRecord:
        with self.transaction("read a business") as session:
            row = session.execute(select(businesses).where(businesses.c.id == business_id)).mappings().first()
        if row is None:
            raise RecordNotFound(f"no business with id {business_id}")
        return mapping.business_record(row)

    def list_businesses(self, business_ids: Iterable[int] | None = None) -> list[BusinessRecord]:
        stmt = select(businesses).order_by(businesses.c.id)
        if business_ids is not None:
            stmt = stmt.where(businesses.c.id.in_(list(business_ids)))
        with self.transaction("list businesses") as session:
            return [mapping.business_record(row) for row in session.execute(stmt).mappings()]

    def business_ids_for_realm(self, realm_id: str) -> list[int]:
        """The ids of every business connected to QBO company ``realm_id`` (several firms may connect one
        company), ascending; empty when there is none (usable as a webhook directory lookup)."""
        with self.transaction("find the businesses of a realm") as session:
            return list(session.execute(select(businesses.c.id).where(businesses.c.qbo_realm_id == str(realm_id))
                                        .order_by(businesses.c.id)).scalars())

    # -- sync state ----------------------------------------------------------------------------------

    def sync_states(self, business_id: int) -> dict[Entity, SyncStateRecord]:
        with self.transaction("read sync state") as session:
            rows = session.execute(select(sync_state).where(sync_state.c.business_id == business_id)).mappings()
            states = {}
            for row in rows:
                try:
                    states[Entity(row["entity"])] = mapping.sync_state_record(row)
                except ValueError:  # an entity this version does not mirror
                    continue
        return states

    def record_success(self, business_id: int, entity: Entity, cursor: str | None, at: datetime) -> None:
        self._writer.record_sync_success(business_id, entity, cursor, at)

    def record_successes(self, business_id: int, cursors: Mapping[Entity, str | None], at: datetime) -> None:
        """``record_success`` for several entities, in one transaction."""
        self._writer.record_sync_successes(business_id, cursors, at)

    def record_failure(self, business_id: int, entity: Entity, error: str, at: datetime) -> None:
        self._writer.record_sync_failure(business_id, entity, error, at)

    # -- the mirror ----------------------------------------------------------------------------------

    def apply(self, business_id: int, entity: Entity, records: Sequence[Any], *, deleted_ids: Iterable[str] = (),
              quarantine: Sequence[QuarantineItem] = (), at: datetime, known_ids: set[str] | None = None
              ) -> ApplyOutcome:
        """Write one page of QBO data (see the module docstring), in one transaction.

        ``records`` must be records of ``entity`` for ``business_id``. Rows new to the mirror are inserted
        with multi-row INSERTs (the fast path of a first sync), the others upserted. If the page cannot
        be written, every record is checked (``record_problem``): those that cannot be stored are
        quarantined and the rest written with upserts only (a unique violation from a row inserted
        meanwhile also ends up there); if that fails too, the rows are written one by one, so one row the
        database refuses never holds back a page.

        ``known_ids``, when given, are the ids the mirror holds for this entity (``mirror_ids``, kept up to
        date by the caller): only those are read back to compare, the others are taken as new.
        """
        entity = Entity(entity)
        to_row = ENTITIES[entity].to_row
        bad = list(quarantine)
        good: list[tuple[Any, dict[str, Any]]] = []
        for record in records:
            if record.business_id != business_id:
                raise StorageError(f"record of business {record.business_id} given for business {business_id}")
            row = to_row(record)
            token = row.get("sync_token")
            if token is None or not str(token).isdigit():  # every later upsert compares it as an integer
                bad.append(QuarantineItem(record.qbo_id, "cannot be stored: SyncToken must be a non-negative "
                                                         f"integer string, got {token!r}", None))
            else:
                good.append((record, row))
        deleted = [str(i) for i in dict.fromkeys(deleted_ids)]
        try:
            return self._apply(business_id, entity, good, deleted, bad, at, fast=True, known_ids=known_ids)
        except StorageError as exc:
            logger.info("writing a page of %s failed (%s): checking its rows", entity.value, exc)
        checked = []
        for record, row in good:
            problem = _record_problem(ENTITIES[entity].table, record, row)
            if problem is None:
                checked.append((record, row))
            else:
                bad.append(QuarantineItem(record.qbo_id, f"cannot be stored: {problem}", None))
        try:
            return self._apply(business_id, entity, checked, deleted, bad, at, fast=False)
        except StorageError as exc:
            if len(checked) <= 1:
                raise
            logger.warning("writing a page of %s failed again (%s): writing its rows one by one", entity.value, exc)
        outcomes = [self._apply(business_id, entity, [], deleted, bad, at, fast=False)]
        refused = 0
        for pair in checked:
            try:
                outcomes.append(self._apply(business_id, entity, [pair], [], [], at, fast=False))
            except StorageError as exc:
                refused += 1
                outcomes.append(self._apply(business_id, entity, [], [], [QuarantineItem(
                    pair[0].qbo_id, f"cannot be stored: {exc}", None)], at, fast=False))
        if refused == len(checked):
            raise StorageError(f"the database refused every {entity.value} row of the page")
        return ApplyOutcome(sum(o.upserted for o in outcomes), sum(o.deleted for o in outcomes),
                            sum(o.quarantined for o in outcomes), sum(o.unquarantined for o in outcomes),
                            frozenset().union(*(o.written_ids for o in outcomes)),
                            frozenset().union(*(o.quarantined_keys for o in outcomes)))

    def _apply(self, business_id: int, entity: Entity, good: list[tuple[Any, dict[str, Any]]], deleted: list[str],
               bad: list[QuarantineItem], at: datetime, *, fast: bool, known_ids: set[str] | None = None
               ) -> ApplyOutcome:
        table = ENTITIES[entity].table
        with self.transaction(f"apply {entity.value} changes", write=True) as session:
            candidates = [record.qbo_id for record, _ in good
                          if known_ids is None or record.qbo_id in known_ids]
            tokens = _stored_tokens(session, table, business_id, candidates)
            # A row whose SyncToken differs is written (or skipped by the upsert if the mirror's is later)
            # without reading it back; one with the same SyncToken is compared in full, as QBO changes some
            # fields (balances) without a new SyncToken.
            stored = _stored_rows(session, table, business_id, [record.qbo_id for record, row in good
                                                                if tokens.get(record.qbo_id) == row["sync_token"]])
            new = [(record, row) for record, row in good if record.qbo_id not in tokens]
            changed = [(record, row) for record, row in good if record.qbo_id in tokens
                       and (record.qbo_id not in stored or _differs(stored[record.qbo_id], row))]
            written: set[str] = set()
            if new and fast:
                written |= _insert_new(session, entity, business_id, new)
            else:
                changed.extend(new)
            if changed and ENTITIES[entity].lines is None:  # the rows are built already
                written |= {qbo_id for (_, qbo_id) in upsert_rows(session, table, [row for _, row in changed],
                                                                   entity.value)}
            elif changed:  # payments: their lines are replaced too
                written |= {qbo_id for (_, qbo_id) in ENTITIES[entity].upsert(session,
                                                                              [record for record, _ in changed])}
            removed = 0
            for batch in chunks(deleted):
                result = session.execute(delete(table).where(table.c.business_id == business_id,
                                                             table.c.qbo_id.in_(batch)))
                removed += result.rowcount or 0
            unquarantined = 0
            if has_quarantine(session, business_id, entity):
                unquarantined = clear_quarantine_ids(session, business_id, entity,
                                                  [record.qbo_id for record, _ in good] + deleted)
            keys = quarantine(session, business_id, entity, bad, at)
        return ApplyOutcome(len(written), removed, len(keys), unquarantined, frozenset(written), frozenset(keys))

    def checkpoint(self) -> None:
        """On SQLite, copy the write-ahead log into the database now (a passive checkpoint: it waits for
        no reader or writer). SQLite does it itself at the commit that takes the log past 1,000 pages:
        the sync calls this while it waits for QBO's answer, so that commit (and its fsync) does not fall
        on the writes that follow. Nothing on other databases."""
        bind = self._session_factory.kw.get("bind")
        if bind is None or bind.dialect.name != "sqlite":
            return
        try:
            with bind.connect() as connection:  # outside any transaction: a checkpoint cannot run in one
                connection.exec_driver_sql("PRAGMA wal_checkpoint(PASSIVE)")
        except SQLAlchemyError as exc:
            raise StorageError(f"mirror database failed to checkpoint its write-ahead log: {exc}") from exc

    def mirror_ids(self, business_id: int, entity: Entity) -> set[str]:
        """The QBO ids of every mirrored row of ``entity`` (pending bill payments, without an id, excluded)."""
        table = ENTITIES[Entity(entity)].table
        with self.transaction(f"list mirrored {Entity(entity).value} ids") as session:
            return set(session.execute(select(table.c.qbo_id).where(table.c.business_id == business_id,
                                                                    table.c.qbo_id.is_not(None))).scalars())

    def count_mirrored_many(self, business_id: int, entities: Iterable[Entity]) -> dict[Entity, int]:
        """How many rows of each of ``entities`` the mirror holds for the business (with a QBO id), by one
        statement (the counts are read on an incremental sync's critical path, before its first requests
        leave)."""
        wanted = [Entity(entity) for entity in dict.fromkeys(entities)]
        if not wanted:
            return {}
        counts = [select(func.count()).select_from(ENTITIES[entity].table).where(
            ENTITIES[entity].table.c.business_id == business_id, ENTITIES[entity].table.c.qbo_id.is_not(None)
        ).scalar_subquery().label(f"n{index}") for index, entity in enumerate(wanted)]
        with self.transaction("count mirrored rows") as session:
            row = session.execute(select(*counts)).one()
        return {entity: int(count) for entity, count in zip(wanted, row, strict=True)}

    def computed_balances(self, business_id: int, entity: Entity) -> dict[str, tuple[str, Decimal]]:
        """``{qbo_id: (sync_token, computed balance)}`` of every mirrored row of a name list (vendors,
        customers, accounts): what a re-read compares with to write only the rows QBO changed."""
        entity = Entity(entity)
        computed = ENTITIES[entity].computed_balance
        if computed is None:
            raise ValueError(f"{entity.value} has no computed balance")
        table = ENTITIES[entity].table
        with self.transaction(f"read {entity.value} balances") as session:
            rows = session.execute(select(table.c.qbo_id, table.c.sync_token, table.c[computed.column]).where(
                table.c.business_id == business_id, table.c.qbo_id.is_not(None))).all()
        return {qbo_id: (token, balance) for qbo_id, token, balance in rows}

    def update_computed_balances(self, business_id: int, entity: Entity,
                                 balances: Sequence[tuple[str, str, Decimal]]) -> int:
        """Set the computed balance of mirrored name-list rows, given as ``(qbo_id, sync_token, balance)``,
        each only where the mirror still holds that SyncToken (a row written meanwhile with another one came
        from QBO later: it stays). Meant for rows QBO changed only the balance of (the SyncToken the mirror
        holds): nothing else of them can differ. Returns how many rows were updated."""
        entity = Entity(entity)
        computed = ENTITIES[entity].computed_balance
        if computed is None:
            raise ValueError(f"{entity.value} has no computed balance")
        if not balances:
            return 0
        table = ENTITIES[entity].table
        stmt = (update(table)
                .where(table.c.business_id == business_id, table.c.qbo_id == bindparam("qbo_id_"),
                       table.c.sync_token == bindparam("sync_token_"))
                .values({computed.column: bindparam("balance_")}))
        rows = [{"qbo_id_": qbo_id, "sync_token_": token, "balance_": balance} for qbo_id, token, balance in balances]
        with self.transaction(f"update {entity.value} balances", write=True) as session:
            return int(session.execute(stmt, rows).rowcount or 0)

    def party_map(self, business_id: int, entity: Entity, qbo_ids: Iterable[str]) -> dict[str, str]:
        """``{qbo_id: vendor or customer id}`` of the mirrored transactions ``qbo_ids`` of ``entity`` (ids not
        mirrored are absent)."""
        entity = Entity(entity)
        table = ENTITIES[entity].table
        party = ENTITIES[entity].party
        if party is None:
            raise ValueError(f"{entity.value} belongs to no vendor or customer")
        column = table.c[party.field]
        ids = list(dict.fromkeys(qbo_ids))
        found: dict[str, str] = {}
        with self.transaction(f"read {entity.value} parties") as session:
            for batch in chunks(ids):
                found.update(session.execute(select(table.c.qbo_id, column).where(
                    table.c.business_id == business_id, table.c.qbo_id.in_(batch))).all())
        return found


def _stored_tokens(session: Session, table: Table, business_id: int, qbo_ids: list[str]) -> dict[str, str]:
    tokens: dict[str, str] = {}
    for batch in chunks(qbo_ids, CHUNK):
        for qbo_id, token in session.execute(select(table.c.qbo_id, table.c.sync_token).where(
                table.c.business_id == business_id, table.c.qbo_id.in_(batch))):
            tokens[qbo_id] = token
    return tokens


def _stored_rows(session: Session, table: Table, business_id: int, qbo_ids: list[str]) -> dict[str, Mapping]:
    stored: dict[str, Mapping] = {}
    for batch in chunks(qbo_ids, CHUNK):
        for row in session.execute(select(table).where(table.c.business_id == business_id,
                                                       table.c.qbo_id.in_(batch))).mappings():
            stored[row["qbo_id"]] = row
    return stored


def _insert_new(session: Session, entity: Entity, business_id: int, new: list[tuple[Any, dict[str, Any]]]
                ) -> set[str]:
    """Insert rows known to be absent (multi-row INSERTs), payment lines included; returns their ids."""
    newest: dict[str, tuple[Any, dict[str, Any]]] = {}
    for record, row in new:  # one row per id: the newest SyncToken, the last one on a tie
        current = newest.get(record.qbo_id)
        if current is None or int(row["sync_token"]) >= int(current[1]["sync_token"]):
            newest[record.qbo_id] = (record, row)
    table, lines = ENTITIES[entity].table, ENTITIES[entity].lines
    returned = insert_values(session, table, [row for _, row in newest.values()],
                              returning=("id", "qbo_id") if lines is not None else ())
    if lines is not None:
        ids = {qbo_id: row_id for row_id, qbo_id in returned}
        insert_values(session, lines.table, [
            {lines.parent_column: ids[qbo_id], "business_id": business_id, lines.txn_column: line.txn_qbo_id,
             "amount": line.amount}
            for qbo_id, (record, _) in newest.items() for line in record.lines])
    return set(newest)
