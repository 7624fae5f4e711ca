"""The QBO business rules the sandbox applies to writes.

Every function here is called by ``RealmStore`` with the realm lock held, validates completely before
changing anything (a fault leaves the realm untouched), then writes through the store's primitives.

What QBO does and the sandbox mirrors:
- Request bodies: system fields (Id, SyncToken, MetaData, domain) and computed fields (Balance,
  TotalAmt, ...) are ignored; an unknown top-level property is refused (2010).
- Dates: an empty or absent ``TxnDate`` is the company's today (its local date). An empty or absent
  ``DueDate`` of a Bill or Invoice follows its terms: the document's ``SalesTermRef``, else the vendor's
  ``TermRef`` / customer's ``SalesTermRef``, else the company's default terms (``Preferences``); with no
  terms at all it is the ``TxnDate``. Terms found that way are recorded as the document's ``SalesTermRef``.
- Create assigns Id and SyncToken "0"; every update increments SyncToken and needs the current one
  (5010 otherwise). ``"sparse": true`` updates only the fields sent; a full update replaces them all.
- Bill/Invoice: TotalAmt is the sum of the lines (Invoice: sales lines minus discounts plus tax);
  Balance = TotalAmt - Deposit - payments applied. Invoices get a SubTotalLine, as in QBO.
- BillPayment/Payment: each ``Line`` applies ``Amount`` to the bill/invoice named by its
  ``LinkedTxn``; the target's Balance drops by that amount, it gains a LinkedTxn back to the payment
  and its SyncToken/LastUpdatedTime move. Overpaying, paying another party's document, or applying
  more than the payment's TotalAmt is refused. Deleting or voiding a payment restores the balances.
- Computed balances follow every change: Vendor/Customer ``Balance`` (open documents), the AP/AR
  account ``CurrentBalance``, and the bank/card/deposit account a payment touches.
- Name-list entities (Vendor, Customer, Account) cannot be hard-deleted (set Active false); display
  names are unique across vendors and customers, account names among accounts.
- A Bill or Invoice with payments applied cannot be deleted or voided until those are removed.
- Void, per entity as Intuit documents it (``check_void_request``): an Invoice is voided with
  ``operation=void``; a Payment, BillPayment or SalesReceipt with ``operation=update&include=void`` (in a
  batch: ``operation`` update with ``optionsData`` void). A Bill has no void. A voided transaction keeps
  its lines with every amount zeroed (a voided payment applies nothing, so its lines are cleared), has
  "Voided" prepended to its ``PrivateNote`` and cannot be changed afterwards.
- Term, Item and Preferences: Terms are STANDARD (``DueDays``) or DATE_DRIVEN (``DayOfMonthDue``); Items
  name the income/expense accounts their lines post to; Preferences is one object (Id "1") that can only be
  read and updated.
- TaxCode is read-only (``READ_ONLY_ENTITIES``): read and queried, never created, updated or deleted
  through ``/taxcode`` or a batch (Intuit makes tax codes with its TaxService endpoint).
"""

from __future__ import annotations

import calendar
from collections import defaultdict
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any, Protocol

from .clock import Clock, qbo_timestamp
from .encoding import money
from .entities import MONEY_FIELDS, READ_ONLY_ENTITIES, EntitySpec
from .errors import (
    QboFault,
    business_validation,
    duplicate_name,
    invalid_reference,
    invalid_value,
    required_param_missing,
    stale_object,
    unsupported_operation,
)


class RealmStore(Protocol):
    """What the rules need from a realm (``store.RealmStore`` provides it; the lock is held by the caller).

    Declared here rather than imported so rules and store do not import each other.
    """

    clock: Clock
    tz: timezone

    def row(self, entity: str, entity_id: str) -> dict | None: ...
    def is_voided(self, entity: str, entity_id: str) -> bool: ...
    def _mark_voided(self, entity: str, entity_id: str) -> None: ...
    def rows(self, entity: str) -> list[dict]: ...
    def require_row(self, entity: str, entity_id: str) -> dict: ...
    def _new_id(self, entity: str) -> str: ...
    def _store(self, entity: str, row: dict, instant: datetime, operation: str | None) -> None: ...
    def _remove(self, entity: str, entity_id: str, instant: datetime) -> None: ...

ZERO = Decimal("0.00")
USD = {"value": "USD", "name": "United States Dollar"}
SYSTEM_FIELDS = frozenset({"Id", "SyncToken", "MetaData", "domain", "sparse"})

ACCOUNT_CLASSIFICATION = {
    "Bank": "Asset", "Accounts Receivable": "Asset", "Other Current Asset": "Asset", "Fixed Asset": "Asset",
    "Other Asset": "Asset", "Accounts Payable": "Liability", "Credit Card": "Liability",
    "Other Current Liability": "Liability", "Long Term Liability": "Liability", "Equity": "Equity",
    "Income": "Revenue", "Other Income": "Revenue", "Expense": "Expense", "Other Expense": "Expense",
    "Cost of Goods Sold": "Expense",
}
DEFAULT_SUBTYPE = {
    "Bank": "Checking", "Accounts Receivable": "AccountsReceivable", "Other Current Asset": "OtherCurrentAssets",
    "Fixed Asset": "OtherFixedAssets", "Other Asset": "OtherLongTermAssets", "Accounts Payable": "AccountsPayable",
    "Credit Card": "CreditCard", "Other Current Liability": "OtherCurrentLiabilities",
    "Long Term Liability": "OtherLongTermLiabilities", "Equity": "OwnersEquity", "Income": "ServiceFeeIncome",
    "Other Income": "OtherMiscellaneousIncome", "Expense": "OtherMiscellaneousServiceCost",
    "Other Expense": "OtherMiscellaneousExpense", "Cost of Goods Sold": "SuppliesMaterialsCogs",
}
BILL_LINE_TYPES = ("AccountBasedExpenseLineDetail", "ItemBasedExpenseLineDetail")
INVOICE_LINE_TYPES = ("SalesItemLineDetail", "SubTotalLineDetail", "DiscountLineDetail", "DescriptionOnly",
                      "GroupLineDetail")
#: payment entity -> (document it pays, TxnType in its lines, party ref field)
PAYMENT_TARGETS = {"BillPayment": ("Bill", "Bill", "VendorRef"), "Payment": ("Invoice", "Invoice", "CustomerRef")}
#: TxnTypes a paid Bill/Invoice shows in its LinkedTxn for the payments applied to it.
PAYMENT_LINK_TYPES = frozenset({"BillPaymentCheck", "BillPaymentCreditCard", "Payment"})
#: How each voidable entity is voided: ``operation=void`` or ``operation=update&include=void``.
VOID_STYLES = {"Invoice": "operation", "Payment": "include", "BillPayment": "include", "SalesReceipt": "include"}
VOIDABLE = frozenset(VOID_STYLES)
#: Entities with no create or delete: one object per company.
SINGLETONS = frozenset({"CompanyInfo", "Preferences"})
ITEM_TYPES = ("Service", "NonInventory", "Inventory", "Group", "Category")


def check_void_request(entity: str, style: str) -> None:
    """Refuse a void asked for the way ``entity`` is not voided. ``style``: ``operation`` (``operation=void``),
    ``include`` (``operation=update&include=void``) or ``batch`` (``optionsData`` void, any voidable entity)."""
    if entity not in VOID_STYLES:
        raise unsupported_operation(f"Void for {entity}: {entity} cannot be voided")
    expected = VOID_STYLES[entity]
    if style != "batch" and style != expected:
        how = "operation=void" if expected == "operation" else "operation=update&include=void"
        raise unsupported_operation(f"{'include=void' if style == 'include' else 'operation=void'} for {entity} "
                                    f"(a {entity} is voided with {how})")


# ------------------------------------------------------------------------------------------ entry points

def _refuse_read_only(spec: EntitySpec, operation: str) -> None:
    if spec.name in READ_ONLY_ENTITIES:
        raise unsupported_operation(f"{operation} for {spec.name}: {spec.name} is read-only in the API "
                                    f"(a {spec.name} is created with TaxService)")


def create(store: RealmStore, spec: EntitySpec, body: Any) -> dict:
    _refuse_read_only(spec, "Create")
    if spec.name in SINGLETONS:
        raise unsupported_operation(f"Create for {spec.name}")
    fields = _writable(spec, body)
    business = _BUILDERS[spec.name](store, fields, None)
    now = store.clock.now()
    row = _stamped(business, None, store._new_id(spec.name), qbo_timestamp(now, store.tz))
    _commit(store, spec.name, None, row, now, "Create")
    return row


def update(store: RealmStore, spec: EntitySpec, body: Any) -> dict:
    _refuse_read_only(spec, "Update")
    if spec.name == "CompanyInfo":
        raise unsupported_operation("Update for CompanyInfo")
    old = _current(store, spec, body)
    if store.is_voided(spec.name, old["Id"]):
        raise business_validation(f"{spec.name} {old['Id']} is voided and cannot be changed")
    fields = _writable(spec, body)
    if body.get("sparse") is True:
        kept = {key: value for key, value in old.items() if key not in SYSTEM_FIELDS and key not in spec.read_only}
        fields = {**kept, **fields}
    business = _BUILDERS[spec.name](store, fields, old)
    now = store.clock.now()
    row = _stamped(business, old, old["Id"], qbo_timestamp(now, store.tz))
    _commit(store, spec.name, old, row, now, "Update")
    return row


def delete(store: RealmStore, spec: EntitySpec, body: Any) -> dict:
    _refuse_read_only(spec, "Delete")
    if spec.is_list or spec.name in SINGLETONS:
        raise unsupported_operation(f"Delete for {spec.name} (make a list entity inactive with Active=false)")
    old = _current(store, spec, body)
    _refuse_if_paid(spec.name, old, "deleted")
    _commit(store, spec.name, old, None, store.clock.now(), "Delete")
    return {"status": "Deleted", "domain": "QBO", "Id": old["Id"]}


def void(store: RealmStore, spec: EntitySpec, body: Any) -> dict:
    """Void ``body``'s transaction (however it was asked for: the HTTP layer checks the style first)."""
    if spec.name not in VOIDABLE:
        raise unsupported_operation(f"Void for {spec.name}: {spec.name} cannot be voided")
    old = _current(store, spec, body)
    if store.is_voided(spec.name, old["Id"]):
        raise business_validation(f"{spec.name} {old['Id']} is already voided")
    _refuse_if_paid(spec.name, old, "voided")
    business = {key: value for key, value in old.items() if key not in SYSTEM_FIELDS}
    business["TotalAmt"] = ZERO
    note = old.get("PrivateNote")
    business["PrivateNote"] = f"Voided - {note}" if note else "Voided"
    if spec.name in PAYMENT_TARGETS:
        business["Line"] = []  # a voided payment applies nothing
        if "UnappliedAmt" in business:
            business["UnappliedAmt"] = ZERO
    else:
        business["Balance"] = ZERO
        business["Line"] = [_zeroed_line(line) for line in old.get("Line", [])]
        if "Deposit" in business:
            business["Deposit"] = ZERO
        if "TxnTaxDetail" in business:
            business["TxnTaxDetail"] = {**business["TxnTaxDetail"], "TotalTax": ZERO}
    now = store.clock.now()
    row = _stamped(business, old, old["Id"], qbo_timestamp(now, store.tz))
    _commit(store, spec.name, old, row, now, "Void")
    store._mark_voided(spec.name, old["Id"])
    return row


def _zeroed_line(line: dict) -> dict:
    """A voided sales line: amount and quantity zero ("all amounts and quantities are zeroed")."""
    zeroed = {**line, "Amount": ZERO}
    detail = line.get("DetailType")
    if isinstance(line.get(detail), dict) and "Qty" in line[detail]:
        zeroed[detail] = {**line[detail], "Qty": 0}
    return zeroed


def send_invoice(store: RealmStore, invoice_id: str, send_to: str | None) -> dict:
    """Mark the invoice e-mailed; the store records the message in its outbox."""
    old = store.require_row("Invoice", invoice_id)
    address = send_to or (old.get("BillEmail") or {}).get("Address")
    if not address:
        raise business_validation(f"Invoice {invoice_id} has no BillEmail address and no sendTo was given")
    if "@" not in address or "." not in address.rpartition("@")[2]:
        raise invalid_value("sendTo", f"Invalid e-mail address: {address}")
    now = store.clock.now()
    stamp = qbo_timestamp(now, store.tz)
    business = {key: value for key, value in old.items() if key not in SYSTEM_FIELDS}
    business.update(EmailStatus="EmailSent", BillEmail={"Address": address},
                    DeliveryInfo={"DeliveryType": "Email", "DeliveryTime": stamp})
    row = _stamped(business, old, old["Id"], stamp)
    _commit(store, "Invoice", old, row, now, "Update")
    return row


def patch(store: RealmStore, spec: EntitySpec, entity_id: str, fields: dict) -> dict:
    """Write ``fields`` verbatim (no validation); computed balances and payment links still follow."""
    old = store.require_row(spec.name, entity_id)
    if not isinstance(fields, dict):
        raise invalid_value("", "patch fields must be an object")
    changes = _normalize_money({key: value for key, value in fields.items() if key not in SYSTEM_FIELDS})
    business = {key: value for key, value in old.items() if key not in SYSTEM_FIELDS}
    business.update(changes)
    now = store.clock.now()
    row = _stamped(business, old, old["Id"], qbo_timestamp(now, store.tz))
    _commit(store, spec.name, old, row, now, "Update")
    return row


# --------------------------------------------------------------------------------------------- helpers

def _current(store: RealmStore, spec: EntitySpec, body: Any) -> dict:
    """The row a write names, after checking its SyncToken."""
    if not isinstance(body, dict):
        raise invalid_value("", "The request body must be a JSON object")
    if body.get("Id") in (None, ""):
        raise required_param_missing("Id")
    old = store.require_row(spec.name, str(body["Id"]))
    if body.get("SyncToken") in (None, ""):
        raise required_param_missing("SyncToken")
    if str(body["SyncToken"]) != old["SyncToken"]:
        raise stale_object(spec.name, old["Id"])
    return old


def _writable(spec: EntitySpec, body: Any) -> dict:
    if not isinstance(body, dict):
        raise invalid_value("", "The request body must be a JSON object")
    unknown = [key for key in body if key not in spec.fields and key not in SYSTEM_FIELDS]
    if unknown:
        raise invalid_value(unknown[0], f"Property Name:{unknown[0]} specified is unsupported or invalid")
    fields = {key: value for key, value in body.items() if key not in SYSTEM_FIELDS and key not in spec.read_only}
    return _normalize_money(fields)


def _normalize_money(value: Any, key: str = "") -> Any:
    """Turn every money field (at any depth) into a cent Decimal; refuse non-numbers (2010)."""
    if isinstance(value, dict):
        return {k: _normalize_money(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [_normalize_money(item, key) for item in value]
    if key in MONEY_FIELDS and value is not None:
        try:
            return money(value)
        except ValueError:
            raise invalid_value(key, f"Invalid number for {key}: {value!r}") from None
    return value


def _stamped(business: dict, old: dict | None, entity_id: str, stamp: str) -> dict:
    """Add the system fields QBO sends after the business fields."""
    created = old["MetaData"]["CreateTime"] if old else stamp
    return {**business, "domain": "QBO", "sparse": False, "Id": entity_id,
            "SyncToken": str(int(old["SyncToken"]) + 1) if old else "0",
            "MetaData": {"CreateTime": created, "LastUpdatedTime": stamp}}


def _refuse_if_paid(entity: str, row: dict, verb: str) -> None:
    if entity in ("Bill", "Invoice"):
        payments = [link["TxnId"] for link in row.get("LinkedTxn", []) if link.get("TxnType") in PAYMENT_LINK_TYPES]
        if payments:
            raise business_validation(
                f"{entity} {row['Id']} has payments applied ({', '.join(payments)}); "
                f"delete or void them before this {entity.lower()} can be {verb}")


def _ref(store: RealmStore, fields: dict, key: str, entity: str, *, required: bool = True,
         account_types: tuple[str, ...] = ()) -> dict | None:
    """Validate a reference field and return it with the referenced object's current name."""
    ref = fields.get(key)
    if ref is None:
        if required:
            raise required_param_missing(key)
        return None
    if not isinstance(ref, dict) or ref.get("value") in (None, ""):
        raise invalid_value(key, f"{key} must be an object with a value")
    target = store.row(entity, str(ref["value"]))
    if target is None:
        raise invalid_reference(key, str(ref["value"]))
    if account_types and target.get("AccountType") not in account_types:
        raise business_validation(f"{key} {ref['value']} must be an account of type {' or '.join(account_types)}")
    name = target.get("FullyQualifiedName") or target.get("DisplayName") or target.get("Name")
    return {"value": target["Id"], "name": name}


def _account_of_type(store: RealmStore, account_type: str) -> dict | None:
    return next((row for row in store.rows("Account")
                 if row.get("AccountType") == account_type and row.get("Active", True)), None)


def _default_ref(store: RealmStore, account_type: str) -> dict | None:
    account = _account_of_type(store, account_type)
    return None if account is None else {"value": account["Id"], "name": account["FullyQualifiedName"]}


def _undeposited_funds(store: RealmStore) -> dict | None:
    """QBO's default deposit account for customer payments."""
    account = next((row for row in store.rows("Account")
                    if row.get("AccountSubType") == "UndepositedFunds" and row.get("Active", True)), None)
    return None if account is None else {"value": account["Id"], "name": account["FullyQualifiedName"]}


def _date(fields: dict, key: str, default: str | None) -> str | None:
    """``fields[key]`` as ``YYYY-MM-DD``; empty or absent is ``default`` (QBO reads "" as "not given")."""
    value = fields.get(key)
    if value in (None, ""):
        value = default
    if value is None:
        return None
    try:
        date.fromisoformat(str(value)[:10])
    except ValueError:
        raise invalid_value(key, f"Invalid date for {key}: {value!r}") from None
    return str(value)[:10]


def _today(store: RealmStore) -> str:
    return store.clock.now().astimezone(store.tz).date().isoformat()


def _active_term_ref(store: RealmStore, ref: Any) -> dict | None:
    """``ref`` as a reference to an existing, active Term, or None."""
    if not isinstance(ref, dict) or ref.get("value") in (None, ""):
        return None
    term = store.row("Term", str(ref["value"]))
    if term is None or not term.get("Active", True):
        return None
    return {"value": term["Id"], "name": term["Name"]}


def _due_date(store: RealmStore, fields: dict, txn_date: str, party: tuple[str, dict, str],
              preferences_section: str) -> tuple[str, dict | None]:
    """(DueDate, SalesTermRef) of a Bill or Invoice. A DueDate sent is kept; an empty or absent one follows
    the terms: the document's SalesTermRef, else the party's (``party`` = (entity, ref, terms field)), else
    the company's default terms in ``Preferences.<preferences_section>.DefaultTerms``; no terms: TxnDate."""
    given = _ref(store, fields, "SalesTermRef", "Term", required=False)
    if fields.get("DueDate") not in (None, ""):
        return str(_date(fields, "DueDate", None)), given
    terms = given
    if terms is None:
        party_entity, party_ref, terms_field = party
        terms = _active_term_ref(store, (store.row(party_entity, party_ref["value"]) or {}).get(terms_field))
    if terms is None:
        preferences = store.row("Preferences", "1") or {}
        terms = _active_term_ref(store, (preferences.get(preferences_section) or {}).get("DefaultTerms"))
    if terms is None:
        return txn_date, None
    term = store.require_row("Term", terms["value"])
    return term_due_date(term, date.fromisoformat(txn_date)).isoformat(), terms


def term_due_date(term: dict, txn_date: date) -> date:
    """When a document dated ``txn_date`` is due under ``term``.

    STANDARD: ``DueDays`` after the date. DATE_DRIVEN: on ``DayOfMonthDue`` (the month's last day when the
    month is shorter) of the document's month, or of the next month when that day has passed or is fewer
    than ``DueNextMonthDays`` days away.
    """
    if term.get("DueDays") is not None:
        return txn_date + timedelta(days=int(term["DueDays"]))
    day = int(term.get("DayOfMonthDue") or 1)
    due = _day_of_month(txn_date.year, txn_date.month, day)
    if due < txn_date or (due - txn_date).days < int(term.get("DueNextMonthDays") or 0):
        year, month = (txn_date.year + 1, 1) if txn_date.month == 12 else (txn_date.year, txn_date.month + 1)
        due = _day_of_month(year, month, day)
    return due


def _day_of_month(year: int, month: int, day: int) -> date:
    return date(year, month, min(day, calendar.monthrange(year, month)[1]))


def _amount(line: dict, element: str) -> Decimal:
    amount = line.get("Amount")
    if amount is None:
        raise required_param_missing(element)
    if amount < 0:
        raise invalid_value(element, f"{element} cannot be negative: {amount}")
    return amount


def _unique_name(store: RealmStore, entities: tuple[str, ...], key: str, name: str,
                 own: tuple[str, str] | None) -> None:
    """Refuse ``name`` if another row of ``entities`` has it (case-insensitive); ``own`` = (entity, id)."""
    wanted = name.strip().lower()
    for entity in entities:
        for row in store.rows(entity):
            if (row.get(key) or "").strip().lower() == wanted and own != (entity, row["Id"]):
                raise duplicate_name(name)


# -------------------------------------------------------------------------------------------- builders
# Each builder gets the writable fields of the request (merged with the old row for sparse updates)
# and the old row (None on create) and returns the new business fields, or raises a QboFault.

def _build_party(store: RealmStore, fields: dict, old: dict | None, entity: str) -> dict:
    name = fields.get("DisplayName") or fields.get("CompanyName") or " ".join(
        str(fields[key]) for key in ("GivenName", "FamilyName") if fields.get(key))
    if not name:
        raise QboFault("6080", "No Name Provided",
                       "Title, GivenName, MiddleName, FamilyName, DisplayName, Suffix - one of these must be non-empty",
                       element="DisplayName")
    _unique_name(store, ("Vendor", "Customer"), "DisplayName", name, (entity, old["Id"]) if old else None)
    active = fields.get("Active", True)
    if not isinstance(active, bool):
        raise invalid_value("Active", "Active must be true or false")
    balance = old["Balance"] if old else ZERO
    row = {**fields, "DisplayName": name, "Active": active, "Balance": balance}
    row.setdefault("PrintOnCheckName", name)
    row.setdefault("CurrencyRef", dict(USD))
    if entity == "Customer":
        row["FullyQualifiedName"] = name
        row["BalanceWithJobs"] = balance
    return row


def _build_account(store: RealmStore, fields: dict, old: dict | None) -> dict:
    name = fields.get("Name")
    if not name:
        raise required_param_missing("Name")
    account_type = fields.get("AccountType")
    if account_type not in ACCOUNT_CLASSIFICATION:
        raise QboFault("6010", "Invalid Account.AccountType && Account.SubType",
                       f"AccountType {account_type!r} is not valid", element="AccountType")
    _unique_name(store, ("Account",), "Name", name, ("Account", old["Id"]) if old else None)
    # CurrentBalance is computed; only a new account may start from an OpeningBalance.
    balance = old["CurrentBalance"] if old is not None else fields.get("OpeningBalance") or ZERO
    row = {**fields, "Name": name, "FullyQualifiedName": name, "Active": fields.get("Active", True),
           "Classification": ACCOUNT_CLASSIFICATION[account_type], "AccountType": account_type,
           "AccountSubType": fields.get("AccountSubType") or DEFAULT_SUBTYPE[account_type],
           "CurrentBalance": balance, "CurrentBalanceWithSubAccounts": balance}
    row.setdefault("CurrencyRef", dict(USD))
    return row


def _build_bill(store: RealmStore, fields: dict, old: dict | None) -> dict:
    vendor = _ref(store, fields, "VendorRef", "Vendor")
    lines = _lines(store, fields.get("Line"), BILL_LINE_TYPES)
    total = sum((line["Amount"] for line in lines), ZERO)
    paid = (old["TotalAmt"] - old["Balance"]) if old else ZERO
    if old and paid and vendor["value"] != old["VendorRef"]["value"]:
        raise business_validation("The vendor of a bill with payments applied cannot change")
    if total < paid:
        raise business_validation(f"TotalAmt {total} is less than the {paid} already paid on this bill")
    txn_date = str(_date(fields, "TxnDate", _today(store)))
    due_date, terms = _due_date(store, fields, txn_date, ("Vendor", vendor, "TermRef"), "VendorAndPurchasesPrefs")
    row = {**fields, "VendorRef": vendor,
           "APAccountRef": _ref(store, fields, "APAccountRef", "Account", required=False,
                                account_types=("Accounts Payable",)) or _default_ref(store, "Accounts Payable"),
           "TxnDate": txn_date, "DueDate": due_date,
           "CurrencyRef": fields.get("CurrencyRef") or dict(USD), "Line": lines,
           "LinkedTxn": list(old.get("LinkedTxn", [])) if old else [],
           "TotalAmt": total, "Balance": total - paid}
    return _with_terms(row, terms)


def _with_terms(row: dict, terms: dict | None) -> dict:
    if terms is None:
        row.pop("SalesTermRef", None)
    else:
        row["SalesTermRef"] = terms
    return row


def _sales_lines(store: RealmStore, fields: dict) -> tuple[list[dict], Decimal, dict]:
    """A sales form's lines with the SubTotalLine QBO computes, its total and its TxnTaxDetail."""
    lines = [line for line in _lines(store, fields.get("Line"), INVOICE_LINE_TYPES)
             if line["DetailType"] != "SubTotalLineDetail"]  # recomputed below, as QBO does
    subtotal = sum((line["Amount"] for line in lines if line["DetailType"] == "SalesItemLineDetail"), ZERO)
    discount = sum((line["Amount"] for line in lines if line["DetailType"] == "DiscountLineDetail"), ZERO)
    tax_detail = dict(fields.get("TxnTaxDetail") or {})
    tax = tax_detail.get("TotalTax") or ZERO
    tax_detail["TotalTax"] = tax
    lines.append({"Amount": subtotal, "DetailType": "SubTotalLineDetail", "SubTotalLineDetail": {}})
    return lines, subtotal - discount + tax, tax_detail


def _build_invoice(store: RealmStore, fields: dict, old: dict | None) -> dict:
    customer = _ref(store, fields, "CustomerRef", "Customer")
    lines, total, tax_detail = _sales_lines(store, fields)
    deposit = fields.get("Deposit") or ZERO
    paid = (old["TotalAmt"] - old.get("Deposit", ZERO) - old["Balance"]) if old else ZERO
    if old and paid and customer["value"] != old["CustomerRef"]["value"]:
        raise business_validation("The customer of an invoice with payments applied cannot change")
    if total - deposit < paid:
        raise business_validation(f"TotalAmt {total} less Deposit {deposit} is less than the {paid} already paid")
    txn_date = str(_date(fields, "TxnDate", _today(store)))
    due_date, terms = _due_date(store, fields, txn_date, ("Customer", customer, "SalesTermRef"), "SalesFormsPrefs")
    email_status = _email_status(fields)
    row = {**fields, "CustomerRef": customer, "TxnDate": txn_date, "DueDate": due_date,
           "CurrencyRef": fields.get("CurrencyRef") or dict(USD), "Line": lines, "TxnTaxDetail": tax_detail,
           "Deposit": deposit, "EmailStatus": email_status,
           "LinkedTxn": list(old.get("LinkedTxn", [])) if old else [],
           "TotalAmt": total, "Balance": total - deposit - paid}
    if old and "DeliveryInfo" in old:
        row["DeliveryInfo"] = old["DeliveryInfo"]
    return _with_terms(row, terms)


def _email_status(fields: dict) -> str:
    email_status = fields.get("EmailStatus") or "NotSet"
    if email_status not in ("NotSet", "NeedToSend", "EmailSent"):
        raise invalid_value("EmailStatus", f"Invalid EmailStatus {email_status!r}")
    return email_status


def _build_sales_receipt(store: RealmStore, fields: dict, old: dict | None) -> dict:
    customer = _ref(store, fields, "CustomerRef", "Customer", required=False)
    lines, total, tax_detail = _sales_lines(store, fields)
    deposit = _ref(store, fields, "DepositToAccountRef", "Account", required=False) or _undeposited_funds(store)
    row = {**fields, "TxnDate": _date(fields, "TxnDate", _today(store)), "Line": lines, "TxnTaxDetail": tax_detail,
           "CurrencyRef": fields.get("CurrencyRef") or dict(USD), "EmailStatus": _email_status(fields),
           "TotalAmt": total, "Balance": ZERO}
    if customer is not None:
        row["CustomerRef"] = customer
    if deposit is not None:
        row["DepositToAccountRef"] = deposit
    return row


def _whole_number(fields: dict, key: str, low: int, high: int) -> int | None:
    value = fields.get(key)
    if value in (None, ""):
        return None
    try:
        number = int(str(value))
    except ValueError:
        raise invalid_value(key, f"{key} must be a whole number, not {value!r}") from None
    if not low <= number <= high:
        raise invalid_value(key, f"{key} must be between {low} and {high}, not {number}")
    return number


def _build_term(store: RealmStore, fields: dict, old: dict | None) -> dict:
    name = fields.get("Name")
    if not name:
        raise required_param_missing("Name")
    _unique_name(store, ("Term",), "Name", name, ("Term", old["Id"]) if old else None)
    due_days = _whole_number(fields, "DueDays", 0, 999)
    day_of_month = _whole_number(fields, "DayOfMonthDue", 1, 31)
    if due_days is None and day_of_month is None:
        raise required_param_missing("DueDays")
    row = {key: value for key, value in fields.items() if key not in TERM_NUMBERS}
    numbers = {"DueDays": due_days, "DayOfMonthDue": None if due_days is not None else day_of_month,
               "DueNextMonthDays": _whole_number(fields, "DueNextMonthDays", 0, 999),
               "DiscountDays": _whole_number(fields, "DiscountDays", 0, 999),
               "DiscountDayOfMonth": _whole_number(fields, "DiscountDayOfMonth", 0, 31)}
    row.update({key: value for key, value in numbers.items() if value is not None})
    discount = fields.get("DiscountPercent") or Decimal(0)
    if not isinstance(discount, (int, Decimal)) or not 0 <= discount <= 100:
        raise invalid_value("DiscountPercent", "DiscountPercent must be a number from 0 to 100")
    active = fields.get("Active", True)
    if not isinstance(active, bool):
        raise invalid_value("Active", "Active must be true or false")
    row.update(Name=name, Active=active, DiscountPercent=discount,
               Type="STANDARD" if due_days is not None else "DATE_DRIVEN")
    return row


TERM_NUMBERS = ("DueDays", "DayOfMonthDue", "DueNextMonthDays", "DiscountDays", "DiscountDayOfMonth",
                "DiscountPercent")


def _build_item(store: RealmStore, fields: dict, old: dict | None) -> dict:
    name = fields.get("Name")
    if not name:
        raise required_param_missing("Name")
    _unique_name(store, ("Item",), "Name", name, ("Item", old["Id"]) if old else None)
    item_type = fields.get("Type") or "Service"
    if item_type not in ITEM_TYPES:
        raise invalid_value("Type", f"Type must be one of {', '.join(ITEM_TYPES)}, not {item_type!r}")
    row = {**fields, "Name": name, "FullyQualifiedName": name, "Type": item_type,
           "Active": fields.get("Active", True), "Taxable": fields.get("Taxable", False),
           "UnitPrice": fields.get("UnitPrice") or Decimal(0)}
    if item_type in ("Service", "NonInventory", "Inventory"):
        row["IncomeAccountRef"] = _ref(store, fields, "IncomeAccountRef", "Account",
                                       account_types=("Income", "Other Income"))
    expense = _ref(store, fields, "ExpenseAccountRef", "Account", required=item_type == "Inventory",
                   account_types=("Expense", "Other Expense", "Cost of Goods Sold"))
    if expense is not None:
        row["ExpenseAccountRef"] = expense
    if item_type == "Inventory":
        row["AssetAccountRef"] = _ref(store, fields, "AssetAccountRef", "Account",
                                      account_types=("Other Current Asset",))
        row["InvStartDate"] = _date(fields, "InvStartDate", None) or _today(store)
        row.setdefault("TrackQtyOnHand", True)
        row.setdefault("QtyOnHand", 0)
    return row


#: Preferences that can be read but not written; values sent for them are ignored, as QBO ignores them.
PREFERENCES_READ_ONLY = {"ReportPrefs": {"CalcAgingReportFromTxnDate"},
                         "AccountingInfoPrefs": {"FirstMonthOfFiscalYear", "TaxYearMonth", "UseAccountNumbers",
                                                 "TaxForm", "BookCloseDate"},
                         "CurrencyPrefs": None}  # None: the whole section


def _build_preferences(store: RealmStore, fields: dict, old: dict | None) -> dict:
    """Preferences are updated section by section: sent values replace the old ones, read-only ones stay."""
    current = {key: value for key, value in (old or {}).items() if key not in SYSTEM_FIELDS}
    for section, values in fields.items():
        if not isinstance(values, dict):
            raise invalid_value(section, f"{section} must be an object")
        read_only = PREFERENCES_READ_ONLY.get(section, set())
        if read_only is None:
            continue
        kept = dict(current.get(section) or {})
        kept.update({key: value for key, value in values.items() if key not in read_only})
        current[section] = kept
    basis = (current.get("ReportPrefs") or {}).get("ReportBasis")
    if basis not in (None, "Accrual", "Cash"):
        raise invalid_value("ReportPrefs.ReportBasis", f"ReportBasis must be Accrual or Cash, not {basis!r}")
    for section in ("SalesFormsPrefs", "VendorAndPurchasesPrefs"):
        terms = (current.get(section) or {}).get("DefaultTerms")
        if terms is not None:
            ref = _active_term_ref(store, terms)
            if ref is None:
                raise invalid_reference(f"{section}.DefaultTerms", str((terms or {}).get("value")))
            current[section] = {**current[section], "DefaultTerms": ref}
    return current


def _build_bill_payment(store: RealmStore, fields: dict, old: dict | None) -> dict:
    vendor = _ref(store, fields, "VendorRef", "Vendor")
    pay_type = fields.get("PayType")
    row = {**fields, "VendorRef": vendor}
    if pay_type == "Check":
        check = dict(fields.get("CheckPayment") or {})
        check["BankAccountRef"] = _ref(store, check, "BankAccountRef", "Account", account_types=("Bank",))
        check.setdefault("PrintStatus", "NotSet")
        row["CheckPayment"] = check
        row.pop("CreditCardPayment", None)
    elif pay_type == "CreditCard":
        card = dict(fields.get("CreditCardPayment") or {})
        card["CCAccountRef"] = _ref(store, card, "CCAccountRef", "Account", account_types=("Credit Card",))
        row["CreditCardPayment"] = card
        row.pop("CheckPayment", None)
    else:
        raise invalid_value("PayType", f"PayType must be Check or CreditCard, not {pay_type!r}")
    row["Line"], applied = _payment_lines(store, "BillPayment", fields.get("Line"), vendor, old, require=True)
    total = fields.get("TotalAmt")
    total = applied if total is None else total
    if total < applied:
        raise business_validation(f"TotalAmt {total} is less than the {applied} applied to bills")
    row.update(TotalAmt=total, TxnDate=_date(fields, "TxnDate", _today(store)),
               APAccountRef=_ref(store, fields, "APAccountRef", "Account", required=False,
                                 account_types=("Accounts Payable",)) or _default_ref(store, "Accounts Payable"),
               CurrencyRef=fields.get("CurrencyRef") or dict(USD))
    return row


def _build_payment(store: RealmStore, fields: dict, old: dict | None) -> dict:
    customer = _ref(store, fields, "CustomerRef", "Customer")
    total = fields.get("TotalAmt")
    if total is None:
        raise required_param_missing("TotalAmt")
    if total < 0:
        raise invalid_value("TotalAmt", "TotalAmt cannot be negative")
    lines, applied = _payment_lines(store, "Payment", fields.get("Line"), customer, old, require=False)
    if total < applied:
        raise business_validation(f"TotalAmt {total} is less than the {applied} applied to invoices")
    deposit = _ref(store, fields, "DepositToAccountRef", "Account", required=False) or _undeposited_funds(store)
    row = {**fields, "CustomerRef": customer, "Line": lines, "TotalAmt": total, "UnappliedAmt": total - applied,
           "TxnDate": _date(fields, "TxnDate", _today(store)), "CurrencyRef": fields.get("CurrencyRef") or dict(USD),
           "ProcessPayment": fields.get("ProcessPayment", False)}
    if deposit is not None:
        row["DepositToAccountRef"] = deposit
    return row


_BUILDERS = {
    "Vendor": lambda store, fields, old: _build_party(store, fields, old, "Vendor"),
    "Customer": lambda store, fields, old: _build_party(store, fields, old, "Customer"),
    "Account": _build_account,
    "Bill": _build_bill,
    "Invoice": _build_invoice,
    "BillPayment": _build_bill_payment,
    "Payment": _build_payment,
    "SalesReceipt": _build_sales_receipt,
    "Term": _build_term,
    "Item": _build_item,
    "Preferences": _build_preferences,
}


def _lines(store: RealmStore, lines: Any, allowed: tuple[str, ...]) -> list[dict]:
    if not isinstance(lines, list) or not lines:
        raise required_param_missing("Line")
    result = []
    for number, line in enumerate(lines, start=1):
        if not isinstance(line, dict):
            raise invalid_value("Line", "Each Line must be an object")
        detail_type = line.get("DetailType")
        if detail_type not in allowed:
            raise invalid_value("Line.DetailType", f"Invalid DetailType {detail_type!r}")
        # QBO computes subtotal lines and ignores amounts on description-only lines.
        computed = detail_type in ("DescriptionOnly", "SubTotalLineDetail")
        amount = ZERO if computed else _amount(line, "Line.Amount")
        detail = dict(line.get(detail_type) or {})
        if detail_type == "AccountBasedExpenseLineDetail":
            detail["AccountRef"] = _ref(store, detail, "AccountRef", "Account")
        elif detail_type == "SalesItemLineDetail":
            # QBO books a sales line without an item to its default item, "Services" (Id 1).
            detail["ItemRef"] = (_ref(store, detail, "ItemRef", "Item") if detail.get("ItemRef")
                                 else _default_item_ref(store))
        elif detail_type == "ItemBasedExpenseLineDetail" and detail.get("ItemRef"):
            detail["ItemRef"] = _ref(store, detail, "ItemRef", "Item")
        new_line = {**line, "Amount": amount, "DetailType": detail_type, detail_type: detail}
        if detail_type != "SubTotalLineDetail":
            new_line["Id"], new_line["LineNum"] = str(number), number
        result.append(new_line)
    return result


def _default_item_ref(store: RealmStore) -> dict:
    item = store.row("Item", "1")
    return {"value": "1", "name": item["Name"] if item else "Services"}


def _payment_lines(store: RealmStore, entity: str, lines: Any, party: dict, old: dict | None,
                   *, require: bool) -> tuple[list[dict], Decimal]:
    """Validate a payment's lines against the documents they pay; return the lines and the total applied."""
    target_entity, txn_type, party_key = PAYMENT_TARGETS[entity]
    if lines is None:
        lines = []
    if not isinstance(lines, list) or (require and not lines):
        raise required_param_missing("Line")
    normalized, applied = [], ZERO
    for line in lines:
        if not isinstance(line, dict):
            raise invalid_value("Line", "Each Line must be an object")
        amount = _amount(line, "Line.Amount")
        link = _linked_target(line, txn_type)
        if link is None:
            raise invalid_value("Line.LinkedTxn", f"Each Line must link a {txn_type} (LinkedTxn TxnType {txn_type})")
        normalized.append({**line, "Amount": amount, "LinkedTxn": [{**link, "TxnId": str(link["TxnId"])}]})
        applied += amount
    # Check each document's balance once, counting what this payment already applied to it.
    new_apps = applications(entity, {"Line": normalized})
    old_apps = applications(entity, old) if old else {}
    for target_id, amount in new_apps.items():
        target = store.row(target_entity, target_id)
        if target is None:
            raise invalid_reference("Line.LinkedTxn.TxnId", target_id)
        if target[party_key]["value"] != party["value"]:
            raise business_validation(f"{target_entity} {target_id} belongs to another {party_key[:-3].lower()}")
        available = target["Balance"] + old_apps.get(target_id, ZERO)
        if amount > available:
            raise business_validation(
                f"The amount applied to {target_entity} {target_id} ({amount}) is more than its open balance "
                f"({available}); a payment cannot overpay a {target_entity.lower()}")
    return normalized, applied


def _linked_target(line: dict, txn_type: str) -> dict | None:
    links = line.get("LinkedTxn")
    if not isinstance(links, list):
        return None
    return next((link for link in links if isinstance(link, dict) and link.get("TxnType") == txn_type
                 and link.get("TxnId") not in (None, "")), None)


def applications(entity: str, row: dict | None) -> dict[str, Decimal]:
    """How much a payment row applies to each document: {document id: amount}."""
    if row is None or entity not in PAYMENT_TARGETS:
        return {}
    txn_type = PAYMENT_TARGETS[entity][1]
    applied: dict[str, Decimal] = defaultdict(lambda: ZERO)
    for line in row.get("Line", []):
        link = _linked_target(line, txn_type)
        if link is not None:
            applied[str(link["TxnId"])] += line["Amount"]
    return dict(applied)


def _link_type(entity: str, row: dict) -> str:
    """The TxnType a paid document shows for this payment in its LinkedTxn."""
    if entity == "Payment":
        return "Payment"
    return "BillPaymentCreditCard" if row.get("PayType") == "CreditCard" else "BillPaymentCheck"


# ---------------------------------------------------------------------------------------------- commit

def _commit(store: RealmStore, entity: str, old: dict | None, new: dict | None, now: datetime,
            operation: str) -> None:
    """Write ``new`` (None: delete ``old``), then the documents a payment pays, then computed balances."""
    _put(store, entity, old, new, now, operation)
    if entity in PAYMENT_TARGETS:
        _relink(store, entity, old, new, now)


def _relink(store: RealmStore, entity: str, old: dict | None, new: dict | None, now: datetime) -> None:
    target_entity = PAYMENT_TARGETS[entity][0]
    payment_id = (new or old or {})["Id"]
    old_apps, new_apps = applications(entity, old), applications(entity, new)
    old_type = _link_type(entity, old) if old else None
    new_type = _link_type(entity, new) if new else None
    stamp = qbo_timestamp(now, store.tz)
    for target_id in sorted(old_apps.keys() | new_apps.keys(), key=int):
        before, after = old_apps.get(target_id), new_apps.get(target_id)
        if before == after and old_type == new_type:
            continue
        target = store.row(target_entity, target_id)
        if target is None:  # only reachable with inconsistent test-patched data
            continue
        links = [link for link in target.get("LinkedTxn", [])
                 if not (link.get("TxnId") == payment_id and link.get("TxnType") == old_type)]
        if after is not None:
            links.append({"TxnId": payment_id, "TxnType": new_type})
        business = {key: value for key, value in target.items() if key not in SYSTEM_FIELDS}
        business["Balance"] = target["Balance"] + (before or ZERO) - (after or ZERO)
        business["LinkedTxn"] = links
        _put(store, target_entity, target, _stamped(business, target, target_id, stamp), now, "Update")


def _put(store: RealmStore, entity: str, old: dict | None, new: dict | None, now: datetime,
         operation: str) -> None:
    """Store one row change and move the computed balances it contributes to."""
    deltas: dict[tuple[str, str, str], Decimal] = defaultdict(lambda: ZERO)
    for key, amount in _contributions(store, entity, old):
        deltas[key] -= amount
    for key, amount in _contributions(store, entity, new):
        deltas[key] += amount
    if new is None:
        assert old is not None
        store._remove(entity, old["Id"], now)
    else:
        store._store(entity, new, now, operation)
    for (target_entity, target_id, field), delta in deltas.items():
        if delta:
            _adjust(store, target_entity, target_id, field, delta, now)


def _contributions(store: RealmStore, entity: str, row: dict | None) -> list[tuple[tuple[str, str, str], Decimal]]:
    """What ``row`` adds to computed balances: [((entity, id, field), amount)]."""
    if row is None:
        return []
    if entity == "Bill":
        result = [(("Vendor", row["VendorRef"]["value"], "Balance"), row["Balance"])]
        if row.get("APAccountRef"):
            result.append((("Account", row["APAccountRef"]["value"], "CurrentBalance"), row["Balance"]))
        return result
    if entity == "Invoice":
        result = [(("Customer", row["CustomerRef"]["value"], "Balance"), row["Balance"])]
        receivable = _account_of_type(store, "Accounts Receivable")
        if receivable is not None:
            result.append((("Account", receivable["Id"], "CurrentBalance"), row["Balance"]))
        return result
    if entity == "BillPayment":
        if row.get("PayType") == "CreditCard" and row.get("CreditCardPayment"):
            return [(("Account", row["CreditCardPayment"]["CCAccountRef"]["value"], "CurrentBalance"),
                     row["TotalAmt"])]
        if row.get("CheckPayment"):
            return [(("Account", row["CheckPayment"]["BankAccountRef"]["value"], "CurrentBalance"),
                     -row["TotalAmt"])]
        return []
    if entity in ("Payment", "SalesReceipt") and row.get("DepositToAccountRef"):
        return [(("Account", row["DepositToAccountRef"]["value"], "CurrentBalance"), row["TotalAmt"])]
    return []


_PAIRED_BALANCE = {"Balance": "BalanceWithJobs", "CurrentBalance": "CurrentBalanceWithSubAccounts"}


def _adjust(store: RealmStore, entity: str, entity_id: str, field: str, delta: Decimal, now: datetime) -> None:
    row = store.row(entity, entity_id)
    if row is None:
        return
    updated = dict(row)
    updated[field] = row.get(field, ZERO) + delta
    paired = _PAIRED_BALANCE.get(field)
    if paired and paired in row:
        updated[paired] = row[paired] + delta
    store._store(entity, updated, now, None)


