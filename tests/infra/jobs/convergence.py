"""``assert_mirror_matches_sandbox``: the mirror of one business holds exactly what the sandbox company holds.

Deliberately independent of the sync's own mapping (``infra.qbo.mapping``): expected values are read
straight from the sandbox's JSON (``RealmStore.all_entities(..., decimal=True)``), field by field, and
compared with the mirror's rows as the database returns them. Only the product's stated rules are
restated here (a bill payment of 0 noted "void" is ``voided``; currency defaults to USD; payment lines are
the links to bills / invoices).
"""

from __future__ import annotations

from collections import Counter
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

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
from qbo_sandbox.store import RealmStore

ENTITIES = ("Account", "Vendor", "Customer", "Bill", "Invoice", "BillPayment", "Payment")
TABLES = {"Vendor": vendors, "Customer": customers, "Account": accounts, "Bill": bills, "Invoice": invoices,
          "BillPayment": bill_payments, "Payment": customer_payments}
MAX_REPORTED = 40


def _ref(obj: dict | None) -> str | None:
    return None if not obj else obj.get("value")


def _sub(obj: dict, *path: str) -> Any:
    for key in path:
        if not isinstance(obj, dict):
            return None
        obj = obj.get(key)
    return obj


def _day(text: str | None) -> date | None:
    return None if text is None else date.fromisoformat(text[:10])


def _money(value: Any) -> Decimal:
    return Decimal("0") if value is None else Decimal(str(value))


def _lines(row: dict, txn_type: str) -> Counter:
    found: Counter = Counter()
    for line in row.get("Line") or []:
        for link in line.get("LinkedTxn") or []:
            if link.get("TxnType") == txn_type:
                found[(str(link["TxnId"]), _money(line.get("Amount")))] += 1
    return found


def expected_fields(entity: str, row: dict) -> dict[str, Any]:
    """The mirror columns of one sandbox object, read directly from its JSON."""
    common = {"sync_token": row["SyncToken"], "qbo_updated_at": _sub(row, "MetaData", "LastUpdatedTime")}
    if entity in ("Vendor", "Customer"):
        return {**common, "display_name": row["DisplayName"], "company_name": row.get("CompanyName"),
                "active": row.get("Active", True), "balance": _money(row.get("Balance")),
                "email": _sub(row, "PrimaryEmailAddr", "Address"), "phone": _sub(row, "PrimaryPhone", "FreeFormNumber")}
    if entity == "Account":
        return {**common, "name": row["Name"], "account_type": row["AccountType"],
                "account_sub_type": row.get("AccountSubType"), "current_balance": _money(row.get("CurrentBalance")),
                "currency": _ref(row.get("CurrencyRef")) or "USD", "active": row.get("Active", True)}
    if entity == "Bill":
        return {**common, "vendor_qbo_id": _ref(row["VendorRef"]), "txn_date": _day(row["TxnDate"]),
                "due_date": _day(row.get("DueDate")), "total_amount": _money(row["TotalAmt"]),
                "balance": _money(row["Balance"]), "doc_number": row.get("DocNumber"),
                "currency": _ref(row.get("CurrencyRef")) or "USD", "private_note": row.get("PrivateNote")}
    if entity == "Invoice":
        return {**common, "customer_qbo_id": _ref(row["CustomerRef"]), "txn_date": _day(row["TxnDate"]),
                "due_date": _day(row.get("DueDate")), "total_amount": _money(row["TotalAmt"]),
                "balance": _money(row["Balance"]), "doc_number": row.get("DocNumber"),
                "email_status": row.get("EmailStatus"), "bill_email": _sub(row, "BillEmail", "Address"),
                "currency": _ref(row.get("CurrencyRef")) or "USD"}
    if entity == "BillPayment":
        total = _money(row["TotalAmt"])
        voided = total == 0 and "void" in (row.get("PrivateNote") or "").lower()
        if row.get("PayType") == "CreditCard":
            bank = _ref(_sub(row, "CreditCardPayment", "CCAccountRef"))
        else:
            bank = _ref(_sub(row, "CheckPayment", "BankAccountRef"))
        return {**common, "vendor_qbo_id": _ref(row["VendorRef"]), "txn_date": _day(row["TxnDate"]),
                "total_amount": total, "status": "voided" if voided else "completed",
                "pay_type": row.get("PayType") or "Check", "bank_account_qbo_id": bank,
                "lines": _lines(row, "Bill")}
    if entity == "Payment":
        return {**common, "customer_qbo_id": _ref(row["CustomerRef"]), "txn_date": _day(row["TxnDate"]),
                "total_amount": _money(row["TotalAmt"]), "lines": _lines(row, "Invoice")}
    raise ValueError(entity)


def mirror_rows(session_factory: sessionmaker[Session], business_id: int, entity: str) -> dict[str, dict]:
    """The mirror's rows of one entity (QBO-backed only), by QBO id, with payment lines as a Counter."""
    table = TABLES[entity]
    with session_factory() as session:
        rows = [dict(r) for r in session.execute(select(table).where(
            table.c.business_id == business_id, table.c.qbo_id.is_not(None))).mappings()]
        if entity in ("BillPayment", "Payment"):
            lines_table, parent, txn = (
                (bill_payment_lines, "bill_payment_id", "bill_qbo_id") if entity == "BillPayment"
                else (customer_payment_lines, "customer_payment_id", "invoice_qbo_id"))
            lines: dict[int, Counter] = {}
            for line in session.execute(select(lines_table).where(lines_table.c.business_id == business_id)
                                        ).mappings():
                lines.setdefault(line[parent], Counter())[(line[txn], line["amount"])] += 1
            for row in rows:
                row["lines"] = lines.get(row["id"], Counter())
    by_id: dict[str, dict] = {}
    for row in rows:
        assert row["qbo_id"] not in by_id, f"{entity} {row['qbo_id']} is mirrored twice"
        by_id[row["qbo_id"]] = row
    return by_id


def mirror_differences(session_factory: sessionmaker[Session], business_id: int, realm: RealmStore,
                       entities: tuple[str, ...] = ENTITIES, skip_ids: dict[str, set[str]] | None = None) -> list[str]:
    """Every difference between the mirror and the sandbox, one readable line each."""
    problems: list[str] = []
    for entity in entities:
        expected = {row["Id"]: row for row in realm.all_entities(entity, decimal=True)}
        actual = mirror_rows(session_factory, business_id, entity)
        skip = (skip_ids or {}).get(entity, set())
        for qbo_id in sorted(expected.keys() - actual.keys() - skip, key=_id_order):
            problems.append(f"{entity} {qbo_id}: missing from the mirror")
        for qbo_id in sorted(actual.keys() - expected.keys() - skip, key=_id_order):
            token = actual[qbo_id]["sync_token"]
            problems.append(f"{entity} {qbo_id}: in the mirror but not in QBO (sync token {token})")
        for qbo_id in sorted(expected.keys() & actual.keys() - skip, key=_id_order):
            want = expected_fields(entity, expected[qbo_id])
            have = actual[qbo_id]
            for column, value in want.items():
                got = have[column]
                same = bool(got) == bool(value) if isinstance(value, bool) or isinstance(got, bool) else got == value
                if not same:
                    problems.append(f"{entity} {qbo_id}.{column}: mirror {got!r} != sandbox {value!r}")
    return problems


def assert_mirror_matches_sandbox(session_factory: sessionmaker[Session], business_id: int,
                                  sandbox_realm_store: RealmStore, entities: tuple[str, ...] = ENTITIES) -> None:
    """Fail with a readable diff unless the mirror of ``business_id`` equals the sandbox company row by row
    and field by field, for every mirrored entity."""
    problems = mirror_differences(session_factory, business_id, sandbox_realm_store, entities)
    if problems:
        shown = "\n  ".join(problems[:MAX_REPORTED])
        more = f"\n  ... and {len(problems) - MAX_REPORTED} more" if len(problems) > MAX_REPORTED else ""
        raise AssertionError(f"mirror of business {business_id} differs from sandbox realm "
                             f"{sandbox_realm_store.realm_id} ({len(problems)} differences):\n  {shown}{more}")


def _id_order(qbo_id: str) -> tuple[int, str]:
    return (len(qbo_id), qbo_id)
