"""Set-based upserts keyed by ``(business_id, qbo_id)`` that never move a row back to an older SyncToken.

These run inside a caller's session/transaction (``MirrorWriter`` and the write-through repository methods).
One ``INSERT ... ON CONFLICT (business_id, qbo_id) DO UPDATE ... WHERE stored_token <= incoming_token``
statement per batch: an incoming row whose SyncToken (compared as an integer) is older than the stored one
is skipped; an equal or newer one replaces every mirrored column.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import BigInteger, Table, cast, delete, func, insert
from sqlalchemy.orm import Session

from infra.db import mapping
from infra.db._base import CHUNK, check_sync_token, chunks, dialect_insert
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
    ins = dialect_insert(session, table)
    set_: dict[str, Any] = {c.name: ins.excluded[c.name] for c in table.c if c.name not in _KEY_COLUMNS}
    if "request_id" in set_:  # QBO never sends our request id back: keep the one stored
        set_["request_id"] = func.coalesce(ins.excluded.request_id, table.c.request_id)
    stmt = ins.on_conflict_do_update(
        index_elements=[table.c.business_id, table.c.qbo_id],
        set_=set_,
        where=cast(table.c.sync_token, BigInteger) <= cast(ins.excluded.sync_token, BigInteger),
    ).returning(table.c.id, table.c.business_id, table.c.qbo_id)
    written: dict[Key, int] = {}
    for batch in chunks(unique_rows, CHUNK):
        for row_id, business_id, qbo_id in session.execute(stmt, list(batch)):
            written[(business_id, qbo_id)] = row_id
    return written


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
