"""Set-based upserts keyed by ``(business_id, qbo_id)`` that never move a row back to an older SyncToken.

These run inside a caller's session/transaction (``MirrorWriter`` and the write-through repository methods).
One ``INSERT ... ON CONFLICT (business_id, qbo_id) DO UPDATE ... WHERE stored_token <= incoming_token``
statement per batch: an incoming row whose SyncToken (compared as an integer) is older than the stored one
is skipped; an equal or newer one replaces every mirrored column.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Table, delete, insert
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Session

from infra.db import mapping
from infra.db._base import check_sync_token, chunks
from infra.db.tables import (
    accounts,
    bill_payment_lines,
    bill_payments,
    bills,
    customer_payment_lines,
    customer_payments,
    customers,
    invoices,
    vendors,
)
from infra.interfaces.errors import StorageError
from infra.interfaces.records import (
    AccountRecord,
    BillPaymentRecord,
    BillRecord,
    CustomerPaymentRecord,
    CustomerRecord,
    InvoiceRecord,
    PaymentLine,
    VendorRecord,
)

Key = tuple[int, str]

_KEY_COLUMNS = ("id", "business_id", "qbo_id")


def _newest_per_key(rows: Iterable[dict[str, Any]], what: str) -> list[dict[str, Any]]:
    """One row per key (the newest SyncToken; the last one given on a tie): a single
    ``ON CONFLICT DO UPDATE`` statement may not touch the same row twice."""
    best: dict[Key, dict[str, Any]] = {}
    for row in rows:
        if not row.get("qbo_id"):
            raise StorageError(f"{what}: a mirrored row needs its QBO Id")
        check_sync_token(row.get("sync_token"), f"{what} {row['qbo_id']}")
        key = (row["business_id"], row["qbo_id"])
        current = best.get(key)
        if current is None or int(row["sync_token"]) >= int(current["sync_token"]):
            best[key] = row
    return list(best.values())


def upsert_rows(session: Session, table: Table, rows: Iterable[dict[str, Any]], what: str) -> dict[Key, int]:
    """Upsert ``rows`` into ``table``; returns ``{(business_id, qbo_id): id}`` of the rows written
    (inserted, or updated because their SyncToken was not older)."""
    unique_rows = _newest_per_key(rows, what)
    if not unique_rows:
        return {}
    dialect = session.connection().dialect
    names, conflict = _upsert_clause(dialect, table)
    written: dict[Key, int] = {}
    for row_id, business_id, qbo_id in insert_values(session, table, unique_rows, ("id", "business_id", "qbo_id"),
                                                     names=names, conflict=conflict):
        written[(business_id, qbo_id)] = row_id
    return written


_UPSERT_CLAUSES: dict[tuple[str, str], tuple[tuple[str, ...], str]] = {}


def _upsert_clause(dialect: Dialect, table: Table) -> tuple[tuple[str, ...], str]:
    """The columns and the ``ON CONFLICT`` clause of ``table``'s upsert, built once per dialect and table.

    Written as SQL text (the same on SQLite and PostgreSQL) rather than compiled by SQLAlchemy per call: a
    sync page's upsert is one multi-row statement, and compiling the Core construct (about 1 ms per
    table, on every first use in a process, and the construct's cache key on every later one) was a
    visible part of writing an incremental sync's few hundred rows."""
    key = (dialect.name, table.name)
    clause = _UPSERT_CLAUSES.get(key)
    if clause is None:
        quote = dialect.identifier_preparer.quote
        target = quote(table.name)
        names = tuple(c.name for c in table.c if c.name != "id")
        sets = []
        for name in names:
            if name in _KEY_COLUMNS:
                continue
            if name == "request_id":  # QBO never sends our request id back: keep the one stored
                sets.append(f"{quote(name)} = COALESCE(excluded.{quote(name)}, {target}.{quote(name)})")
            else:
                sets.append(f"{quote(name)} = excluded.{quote(name)}")
        token = quote("sync_token")
        clause = (names, f" ON CONFLICT ({quote('business_id')}, {quote('qbo_id')}) DO UPDATE SET {', '.join(sets)}"
                         f" WHERE CAST({target}.{token} AS BIGINT) <= CAST(excluded.{token} AS BIGINT)")
        _UPSERT_CLAUSES[key] = clause
    return clause


#: Bound parameters per multi-row INSERT: SQLite 3.32+ allows 32766, PostgreSQL 65535.
_MAX_PARAMS = 30_000 if sqlite3.sqlite_version_info >= (3, 32) else 999


def insert_values(session: Session, table: Table, rows: list[dict[str, Any]], returning: tuple[str, ...] = (),
                  *, names: Sequence[str] | None = None, conflict: str = "") -> list[tuple]:
    """``INSERT INTO t (...) VALUES (...), (...), ...``: many rows per statement, values converted by the
    columns' own bind processors (exact cents, dates) column by column.

    One statement per few thousand rows rather than an ``executemany`` of one-row statements: the
    ``sqlite3`` module releases and re-takes the GIL around every statement step, and while the sync's
    fetching threads parse JSON each re-take can wait a whole switch interval.
    """
    if not rows:
        return []
    connection = session.connection()
    dialect = connection.dialect
    names = list(rows[0]) if names is None else list(names)
    processors = [table.c[name].type.dialect_impl(dialect).bind_processor(dialect) for name in names]
    try:
        columns = [[row.get(name) for row in rows] for name in names]
        columns = [values if process is None else [process(v) for v in values]
                   for values, process in zip(columns, processors, strict=True)]
    except ValueError as exc:  # a bind processor refused a value (e.g. sub-cent money)
        raise StorageError(f"cannot store a {table.name} row: {exc}") from exc
    tuples = list(zip(*columns, strict=True))
    preparer = dialect.identifier_preparer
    placeholder = "?" if dialect.paramstyle == "qmark" else "%s"
    head = (f"INSERT INTO {preparer.format_table(table)} ({', '.join(preparer.quote(name) for name in names)}) "
            "VALUES ")
    one = "(" + ", ".join([placeholder] * len(names)) + ")"
    tail = conflict + (f" RETURNING {', '.join(preparer.quote(name) for name in returning)}" if returning else "")
    per_statement = max(1, _MAX_PARAMS // len(names))
    returned: list[tuple] = []
    for start in range(0, len(tuples), per_statement):
        batch = tuples[start:start + per_statement]
        result = connection.exec_driver_sql(head + ", ".join([one] * len(batch)) + tail,
                                            tuple(value for values in batch for value in values))
        if returning:
            returned.extend(tuple(row) for row in result)
    return returned


def upsert_vendors(session: Session, records: Iterable[VendorRecord]) -> dict[Key, int]:
    return upsert_rows(session, vendors, map(mapping.vendor_row, records), "vendor")


def upsert_customers(session: Session, records: Iterable[CustomerRecord]) -> dict[Key, int]:
    return upsert_rows(session, customers, map(mapping.customer_row, records), "customer")


def upsert_accounts(session: Session, records: Iterable[AccountRecord]) -> dict[Key, int]:
    return upsert_rows(session, accounts, map(mapping.account_row, records), "account")


def upsert_bills(session: Session, records: Iterable[BillRecord]) -> dict[Key, int]:
    return upsert_rows(session, bills, map(mapping.bill_row, records), "bill")


def upsert_invoices(session: Session, records: Iterable[InvoiceRecord]) -> dict[Key, int]:
    return upsert_rows(session, invoices, map(mapping.invoice_row, records), "invoice")


def upsert_bill_payments(session: Session, records: Iterable[BillPaymentRecord]) -> dict[Key, int]:
    """Bill payments read from QBO (they have a QBO Id) with their lines; the lines of every payment
    written are replaced."""
    records = list(records)
    written = upsert_rows(session, bill_payments, map(mapping.bill_payment_row, records), "bill payment")
    _replace_lines(session, written, records, bill_payment_lines, "bill_payment_id", "bill_qbo_id")
    return written


def upsert_customer_payments(session: Session, records: Iterable[CustomerPaymentRecord]) -> dict[Key, int]:
    records = list(records)
    written = upsert_rows(session, customer_payments, map(mapping.customer_payment_row, records),
                          "customer payment")
    _replace_lines(session, written, records, customer_payment_lines, "customer_payment_id", "invoice_qbo_id")
    return written


def _replace_lines(session: Session, written: dict[Key, int],
                   records: Sequence[BillPaymentRecord | CustomerPaymentRecord], table: Table,
                   parent_column: str, txn_column: str) -> None:
    if not written:
        return
    parent = table.c[parent_column]
    ids = list(written.values())
    for batch in chunks(ids):
        session.execute(delete(table).where(parent.in_(batch)))
    lines: dict[int, tuple[int, tuple[PaymentLine, ...]]] = {}
    for record in records:  # the last record of a key wins, as in _newest_per_key on equal tokens
        key = (record.business_id, record.qbo_id or "")
        if key in written:
            current = lines.get(written[key])
            if current is None or int(record.sync_token or 0) >= current[0]:
                lines[written[key]] = (int(record.sync_token or 0), record.lines)
    insert_lines(session, table, parent_column, txn_column,
                 ((pid, business_id, line) for (business_id, _), pid in written.items()
                  for line in lines.get(pid, (0, ()))[1]))


def insert_lines(session: Session, table: Table, parent_column: str, txn_column: str,
                 lines: Iterable[tuple[int, int, PaymentLine]]) -> None:
    """Insert ``(payment id, business id, line)`` triples (executemany)."""
    rows = [{parent_column: pid, "business_id": business_id, txn_column: line.txn_qbo_id, "amount": line.amount}
            for pid, business_id, line in lines]
    if rows:
        session.execute(insert(table), rows)
