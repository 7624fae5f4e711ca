"""QBO's Reports API, computed from a realm's own data: ``build_report(realm, name, params)``.

Reports (``GET /v3/company/{realm}/reports/<name>``, names case-insensitive):

- ``AgedPayables`` / ``AgedReceivables``: one row per vendor / customer with what it owes (is owed) by
  aging bucket: ``Current``, ``1 - 30``, ``31 - 60``, ``61 - 90``, ``91 and over`` and ``Total``, then a
  ``GrandTotal`` section (``TOTAL``). Empty cells are ``""``, totals ``"0.00"``.
- ``AgedPayableDetail`` / ``AgedReceivableDetail``: one section per bucket, most overdue first
  (``91 or more days past due`` ... ``Current``), each with a ``Header``, its transactions as ``Data`` rows
  and a ``Summary`` (``Total for ...``), then the ``GrandTotal``. Empty buckets are left out.
- ``ProfitAndLoss``: ``Income``, ``COGS``, ``GrossProfit``, ``Expenses``, ``NetOperatingIncome``, other
  income and expenses when there are any, ``NetIncome``; accounts as ``Data`` rows; one ``Total`` column.

What is open, and how old: a bill (invoice) dated on or before ``report_date`` is open by its total (less
its deposit) minus what payments dated on or before ``report_date`` applied to it; a payment's unapplied
amount is a credit (a negative amount). Days past due = aging date - due date, the aging date being
``report_date`` (``aging_method=Report_Date``, the default) or today (``aging_method=Current``), and the
due date the ``DueDate`` (a payment's ``TxnDate``; every ``TxnDate`` when the company's
``ReportPrefs.CalcAgingReportFromTxnDate`` is on). Up to 0 days is ``Current``; then ``aging_period`` days
(30) per bucket, the last of ``num_periods`` (4) buckets open-ended. Voided documents are worth nothing
and do not appear.

Profit and loss, accrual basis: invoice and sales receipt lines by their item's income account (a discount
line reduces income), bill lines by their account (item lines by the item's expense account), all dated
within the period; accounts that are not income, cost of goods sold or expense accounts are not on the
report. Cash basis: the same lines, in the proportion paid, on the dates of the payments (sales receipts
are cash already).

Parameters a report does not know are refused with a 2010 fault that names them, rather than ignored,
so a report that looks right is right. Money values are strings with two decimals, as QBO sends them.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from .clock import qbo_timestamp
from .errors import invalid_value, unsupported_operation

ZERO = Decimal("0.00")
CENT = Decimal("0.01")
#: Query parameters every data request may carry besides the report's own.
_COMMON_PARAMS = frozenset({"minorversion", "requestid"})

# ------------------------------------------------------------------------------------------ parameters


def _money(amount: Decimal) -> str:
    return f"{amount.quantize(CENT, rounding=ROUND_HALF_UP):.2f}"


def _cell(amount: Decimal) -> str:
    """A data cell: empty when there is nothing, as QBO leaves it."""
    return "" if amount == 0 else _money(amount)


def _parse_date(params: Mapping[str, str], key: str) -> date | None:
    value = params.get(key)
    if value in (None, ""):
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise invalid_value(key, f"{key} must be a date (YYYY-MM-DD), not {value!r}") from None


def _positive_int(params: Mapping[str, str], key: str, default: int) -> int:
    value = params.get(key)
    if value in (None, ""):
        return default
    if not value.isdigit() or int(value) < 1:
        raise invalid_value(key, f"{key} must be a positive whole number, not {value!r}")
    return int(value)


def _ids(params: Mapping[str, str], key: str) -> frozenset[str] | None:
    value = params.get(key)
    if value in (None, ""):
        return None
    return frozenset(part.strip() for part in value.split(",") if part.strip())


def _choice(params: Mapping[str, str], key: str, choices: Iterable[str], default: str) -> str:
    value = params.get(key) or default
    by_lower = {choice.lower(): choice for choice in choices}
    if value.lower() not in by_lower:
        raise invalid_value(key, f"{key} must be one of {', '.join(by_lower.values())}, not {value!r}")
    return by_lower[value.lower()]


def _refuse_unknown(params: Mapping[str, str], known: Iterable[str], report: str) -> None:
    unknown = sorted(set(params) - set(known) - _COMMON_PARAMS)
    if unknown:
        raise invalid_value(unknown[0], f"The sandbox's {report} report does not support the parameter(s) "
                                        f"{', '.join(unknown)}")


_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December")


def _add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def date_macro_period(macro: str, today: date, fiscal_start_month: int = 1) -> tuple[date, date]:
    """The (start, end) dates of one of QBO's ``date_macro`` values, e.g. ``This Fiscal Year-to-date``."""
    name = " ".join(macro.lower().replace("_", " ").split())
    if name == "today":
        return today, today
    if name == "yesterday":
        return today - timedelta(days=1), today - timedelta(days=1)
    if name == "next 4 weeks":
        return today, today + timedelta(days=27)
    to_date = name.endswith("-to-date")
    name = name.removesuffix("-to-date")
    which, _, unit = name.partition(" ")
    offsets = {"this": 0, "last": -1, "next": 1}
    if which not in offsets or unit not in ("week", "month", "fiscal quarter", "fiscal year"):
        raise invalid_value("date_macro", f"Unsupported date_macro {macro!r}")
    offset = offsets[which]
    if unit == "week":  # QBO weeks start on Sunday
        this_start = today - timedelta(days=(today.weekday() + 1) % 7)
        start = this_start + timedelta(weeks=offset)
        end = start + timedelta(days=6)
    else:
        months = {"month": 1, "fiscal quarter": 3, "fiscal year": 12}[unit]
        months_in = (today.month - fiscal_start_month) % 12 % months  # months since the period started
        this_start = _add_months(date(today.year, today.month, 1), -months_in)
        start = _add_months(this_start, offset * months)
        end = _add_months(start, months) - timedelta(days=1)
    if to_date:  # as far into the period as today is into this one
        end = min(end, start + (today - this_start))
    return start, end


# ----------------------------------------------------------------------------------------- the data


@dataclass(frozen=True)
class _Books:
    """A consistent snapshot of what the reports read (stored rows, money as Decimal)."""

    today: date
    time_text: str
    rows: dict[str, list[dict]]
    preferences: dict
    fiscal_start_month: int

    def by_id(self, entity: str) -> dict[str, dict]:
        return {row["Id"]: row for row in self.rows[entity]}


_ENTITIES = ("Bill", "BillPayment", "Invoice", "Payment", "SalesReceipt", "Vendor", "Customer", "Account", "Item",
             "Term")


def _books(realm) -> _Books:
    with realm.lock:
        rows = {entity: realm.rows(entity) for entity in _ENTITIES}
        preferences = realm.row("Preferences", "1") or {}
        company = realm.row("CompanyInfo", "1") or {}
    now = realm.clock.now()
    fiscal = (preferences.get("AccountingInfoPrefs") or {}).get("FirstMonthOfFiscalYear") or company.get(
        "FiscalYearStartMonth") or "January"
    month = _MONTHS.index(fiscal) + 1 if fiscal in _MONTHS else 1
    return _Books(now.astimezone(realm.tz).date(), qbo_timestamp(now, realm.tz), rows, preferences, month)


def _header(books: _Books, name: str, start: date, end: date, options: dict[str, str], no_data: bool,
            extra: dict | None = None) -> dict:
    option = [{"Name": key, "Value": value} for key, value in options.items()]
    option.append({"Name": "NoReportData", "Value": "true" if no_data else "false"})
    return {"Time": books.time_text, "ReportName": name, **(extra or {}), "StartPeriod": start.isoformat(),
            "EndPeriod": end.isoformat(), "Currency": "USD", "Option": option}


# --------------------------------------------------------------------------------------------- aging


@dataclass(frozen=True)
class _OpenItem:
    txn_type: str
    txn_id: str
    doc_number: str
    party_id: str
    party_name: str
    txn_date: date
    due_date: date
    amount: Decimal
    open_balance: Decimal
    memo: str
    term_id: str | None
    term_name: str


@dataclass(frozen=True)
class _AgingSide:
    """What differs between payables and receivables."""

    report: str
    detail_report: str
    document: str
    payment: str
    party: str  # Vendor / Customer
    party_ref: str
    party_param: str
    name_column: str
    amount_column: str
    open_column: str
    default_columns: tuple[str, ...]


_PAYABLES = _AgingSide("AgedPayables", "AgedPayableDetail", "Bill", "BillPayment", "Vendor", "VendorRef", "vendor",
                       "vend_name", "subt_neg_amount", "subt_neg_open_bal",
                       ("tx_date", "txn_type", "doc_num", "vend_name", "due_date", "past_due", "subt_neg_amount",
                        "subt_neg_open_bal"))
_RECEIVABLES = _AgingSide("AgedReceivables", "AgedReceivableDetail", "Invoice", "Payment", "Customer",
                          "CustomerRef", "customer", "cust_name", "subt_amount", "subt_open_bal",
                          ("tx_date", "txn_type", "doc_num", "cust_name", "due_date", "subt_amount",
                           "subt_open_bal"))

#: Detail columns: key -> (title, ColType kind); the kind says how a cell is filled.
_DETAIL_COLUMNS = {
    "tx_date": "Date", "txn_type": "Transaction Type", "doc_num": "Num", "vend_name": "Vendor",
    "cust_name": "Customer", "due_date": "Due Date", "past_due": "Past Due", "memo": "Memo/Description",
    "term_name": "Terms", "subt_neg_amount": "Amount", "subt_neg_open_bal": "Open Balance",
    "subt_amount": "Amount", "subt_open_bal": "Open Balance",
}
_MONEY_COLUMNS = frozenset({"subt_neg_amount", "subt_neg_open_bal", "subt_amount", "subt_open_bal"})


def _payment_type(side: _AgingSide, row: dict) -> str:
    if side.payment == "Payment":
        return "Payment"
    return "Bill Payment (Credit Card)" if row.get("PayType") == "CreditCard" else "Bill Payment (Check)"


def _open_items(books: _Books, side: _AgingSide, report_date: date) -> list[_OpenItem]:
    parties = books.by_id(side.party)
    terms = books.by_id("Term")
    applied: dict[str, Decimal] = defaultdict(lambda: ZERO)
    items: list[_OpenItem] = []

    def party_of(row: dict) -> tuple[str, str]:
        ref = row.get(side.party_ref) or {}
        party = parties.get(str(ref.get("value")))
        return str(ref.get("value", "")), (party or {}).get("DisplayName") or ref.get("name") or ""

    for payment in books.rows[side.payment]:
        if date.fromisoformat(payment["TxnDate"]) > report_date:
            continue
        lines = 0
        for line in payment.get("Line", []):
            for link in line.get("LinkedTxn", []):
                if link.get("TxnType") == side.document:
                    applied[str(link["TxnId"])] += line["Amount"]
                    lines += line["Amount"]
                    break
        unapplied = payment["TotalAmt"] - lines
        if unapplied > 0:
            party_id, party_name = party_of(payment)
            paid_on = date.fromisoformat(payment["TxnDate"])
            items.append(_OpenItem(_payment_type(side, payment), payment["Id"], payment.get("DocNumber") or "",
                                   party_id, party_name, paid_on, paid_on, -payment["TotalAmt"], -unapplied,
                                   payment.get("PrivateNote") or "", None, ""))
    for row in books.rows[side.document]:
        txn_date = date.fromisoformat(row["TxnDate"])
        if txn_date > report_date:
            continue
        open_balance = row["TotalAmt"] - row.get("Deposit", ZERO) - applied[row["Id"]]
        if open_balance == 0:
            continue
        party_id, party_name = party_of(row)
        term_ref = row.get("SalesTermRef") or {}
        term = terms.get(str(term_ref.get("value")))
        items.append(_OpenItem(side.document, row["Id"], row.get("DocNumber") or "", party_id, party_name, txn_date,
                               date.fromisoformat(row.get("DueDate") or row["TxnDate"]), row["TotalAmt"],
                               open_balance, row.get("PrivateNote") or "", term_ref.get("value"),
                               (term or {}).get("Name") or term_ref.get("name") or ""))
    return items


@dataclass(frozen=True)
class _Aging:
    period: int
    periods: int

    def bucket(self, days_past_due: int) -> int:
        """0 for current, else 1..periods (the last one open-ended)."""
        if days_past_due <= 0:
            return 0
        return min(self.periods, math.ceil(days_past_due / self.period))

    def column_titles(self) -> list[str]:
        titles = ["Current"]
        for index in range(1, self.periods + 1):
            low = (index - 1) * self.period + 1
            titles.append(f"{low} and over" if index == self.periods else f"{low} - {index * self.period}")
        return titles

    def section_titles(self) -> list[str]:
        titles = ["Current"]
        for index in range(1, self.periods + 1):
            low = (index - 1) * self.period + 1
            titles.append(f"{low} or more days past due" if index == self.periods
                          else f"{low} - {index * self.period} days past due")
        return titles


@dataclass(frozen=True)
class _AgingRequest:
    report_date: date
    aging_date: date
    aging: _Aging
    parties: frozenset[str] | None
    options: dict[str, str]
    header_extra: dict


_AGING_PARAMS = ("report_date", "date_macro", "aging_method", "aging_period", "num_periods", "sort_order")


def _aging_request(books: _Books, side: _AgingSide, params: Mapping[str, str]) -> _AgingRequest:
    report_date = _parse_date(params, "report_date")
    if report_date is None and params.get("date_macro"):
        report_date = date_macro_period(params["date_macro"], books.today, books.fiscal_start_month)[1]
    report_date = report_date or books.today
    method = _choice(params, "aging_method", ("Report_Date", "Current"), "Report_Date")
    aging = _Aging(_positive_int(params, "aging_period", 30), _positive_int(params, "num_periods", 4))
    parties = _ids(params, side.party_param)
    extra = {side.party: ",".join(sorted(parties))} if parties else {}
    if params.get("date_macro"):
        extra["DateMacro"] = params["date_macro"].lower()
    return _AgingRequest(report_date, books.today if method == "Current" else report_date, aging, parties,
                         {"report_date": report_date.isoformat()}, extra)


def _aging_date_of(item: _OpenItem, from_txn_date: bool) -> date:
    return item.txn_date if from_txn_date else item.due_date


def _aged_summary(books: _Books, side: _AgingSide, params: Mapping[str, str]) -> dict:
    _refuse_unknown(params, (*_AGING_PARAMS, side.party_param), side.report)
    request = _aging_request(books, side, params)
    descending = _choice(params, "sort_order", ("ascend", "descend"), "ascend") == "descend"
    from_txn = bool((books.preferences.get("ReportPrefs") or {}).get("CalcAgingReportFromTxnDate"))
    buckets: dict[str, list[Decimal]] = {}
    names: dict[str, str] = {}
    width = request.aging.periods + 1
    for item in _open_items(books, side, request.report_date):
        if request.parties is not None and item.party_id not in request.parties:
            continue
        days = (request.aging_date - _aging_date_of(item, from_txn)).days
        amounts = buckets.setdefault(item.party_id, [ZERO] * width)
        amounts[request.aging.bucket(days)] += item.open_balance
        names[item.party_id] = item.party_name
    rows = []
    totals = [ZERO] * width
    for party_id in sorted(buckets, key=lambda pid: (names[pid].lower(), pid), reverse=descending):
        amounts = buckets[party_id]
        totals = [total + amount for total, amount in zip(totals, amounts, strict=True)]
        rows.append({"ColData": [{"value": names[party_id], "id": party_id},
                                 *({"value": _cell(amount)} for amount in amounts),
                                 {"value": _cell(sum(amounts, ZERO))}]})
    rows.append({"group": "GrandTotal", "type": "Section", "Summary": {"ColData": [
        {"value": "TOTAL"}, *({"value": _money(total)} for total in totals), {"value": _money(sum(totals, ZERO))}]}})
    columns = [{"ColType": side.party, "ColTitle": ""},
               *({"ColType": "Money", "ColTitle": title} for title in request.aging.column_titles()),
               {"ColType": "Money", "ColTitle": "Total"}]
    header = _header(books, side.report, request.report_date, request.report_date, request.options,
                     no_data=not buckets, extra=request.header_extra)
    return {"Header": header, "Columns": {"Column": columns}, "Rows": {"Row": rows}}


_DETAIL_PARAMS = ("past_due", "start_duedate", "end_duedate", "term", "columns", "accounting_method")


def _aged_detail(books: _Books, side: _AgingSide, params: Mapping[str, str]) -> dict:
    _refuse_unknown(params, (*_AGING_PARAMS, *_DETAIL_PARAMS, side.party_param), side.detail_report)
    request = _aging_request(books, side, params)
    _choice(params, "accounting_method", ("Accrual", "Cash"), "Accrual")
    columns = _detail_columns(params, side)
    past_due = params.get("past_due")
    if past_due not in (None, "") and not past_due.lstrip("-").isdigit():
        raise invalid_value("past_due", f"past_due must be a whole number of days, not {past_due!r}")
    start_due, end_due = _parse_date(params, "start_duedate"), _parse_date(params, "end_duedate")
    terms = _ids(params, "term")
    from_txn = bool((books.preferences.get("ReportPrefs") or {}).get("CalcAgingReportFromTxnDate"))
    sections: dict[int, list[tuple[_OpenItem, int]]] = defaultdict(list)
    for item in _open_items(books, side, request.report_date):
        days = (request.aging_date - _aging_date_of(item, from_txn)).days
        if ((request.parties is not None and item.party_id not in request.parties)
                or (past_due not in (None, "") and days < int(past_due))
                or (start_due is not None and item.due_date < start_due)
                or (end_due is not None and item.due_date > end_due)
                or (terms is not None and item.term_id not in terms)):
            continue
        sections[request.aging.bucket(days)].append((item, days))
    titles = request.aging.section_titles()
    rows, grand_amount, grand_open = [], ZERO, ZERO
    for bucket in sorted(sections, reverse=True):  # most overdue first
        entries = sorted(sections[bucket], key=lambda entry: (entry[0].due_date, entry[0].txn_date,
                                                              entry[0].txn_type, int(entry[0].txn_id)))
        amount = sum((item.amount for item, _ in entries), ZERO)
        open_total = sum((item.open_balance for item, _ in entries), ZERO)
        grand_amount, grand_open = grand_amount + amount, grand_open + open_total
        rows.append({
            "Header": {"ColData": [{"value": titles[bucket]}, *({"value": ""} for _ in columns[1:])]},
            "Rows": {"Row": [{"ColData": [_detail_cell(key, item, days) for key in columns], "type": "Data"}
                             for item, days in entries]},
            "Summary": {"ColData": _summary_cells(f"Total for {titles[bucket]}", columns, side, amount, open_total)},
            "type": "Section"})
    rows.append({"Summary": {"ColData": _summary_cells("TOTAL", columns, side, grand_amount, grand_open)},
                 "type": "Section", "group": "GrandTotal"})
    header = _header(books, side.detail_report, request.report_date, request.report_date, request.options,
                     no_data=not sections, extra=request.header_extra)
    column_defs = [{"ColType": key, "ColTitle": _DETAIL_COLUMNS[key], "MetaData": [{"Name": "ColKey", "Value": key}]}
                   for key in columns]
    return {"Header": header, "Columns": {"Column": column_defs}, "Rows": {"Row": rows}}


def _detail_columns(params: Mapping[str, str], side: _AgingSide) -> list[str]:
    asked = params.get("columns")
    if not asked:
        return list(side.default_columns)
    other_side = _RECEIVABLES if side is _PAYABLES else _PAYABLES
    allowed = set(_DETAIL_COLUMNS) - {other_side.name_column, other_side.amount_column, other_side.open_column}
    columns = [part.strip() for part in asked.split(",") if part.strip()]
    unknown = [column for column in columns if column not in allowed]
    if unknown:
        raise invalid_value("columns", f"Unsupported column(s) {', '.join(unknown)}; supported: "
                                       f"{', '.join(sorted(allowed))}")
    return columns


def _detail_cell(key: str, item: _OpenItem, days: int) -> dict:
    values: dict[str, Callable[[], dict]] = {
        "tx_date": lambda: {"value": item.txn_date.isoformat()},
        "txn_type": lambda: {"value": item.txn_type, "id": item.txn_id},
        "doc_num": lambda: {"value": item.doc_number},
        "vend_name": lambda: {"value": item.party_name, "id": item.party_id},
        "cust_name": lambda: {"value": item.party_name, "id": item.party_id},
        "due_date": lambda: {"value": item.due_date.isoformat()},
        "past_due": lambda: {"value": str(days)},
        "memo": lambda: {"value": item.memo},
        "term_name": lambda: {"value": item.term_name},
        "subt_neg_amount": lambda: {"value": _money(item.amount)},
        "subt_amount": lambda: {"value": _money(item.amount)},
        "subt_neg_open_bal": lambda: {"value": _money(item.open_balance)},
        "subt_open_bal": lambda: {"value": _money(item.open_balance)},
    }
    return values[key]()


def _summary_cells(label: str, columns: list[str], side: _AgingSide, amount: Decimal, open_total: Decimal
                   ) -> list[dict]:
    cells = [{"value": label}]
    for key in columns[1:]:
        if key == side.amount_column:
            cells.append({"value": _money(amount)})
        elif key == side.open_column:
            cells.append({"value": _money(open_total)})
        else:
            cells.append({"value": ""})
    return cells


# ------------------------------------------------------------------------------------ profit and loss

#: Account type -> P&L group; other account types are balance-sheet accounts and stay off the report.
_PNL_GROUPS = {"Income": "Income", "Other Income": "OtherIncome", "Cost of Goods Sold": "COGS",
               "Expense": "Expenses", "Other Expense": "OtherExpenses"}
_DISCOUNT = ("", "Discounts given")  # account (id, name) of discount lines that name no account


def _sales_postings(books: _Books, row: dict) -> list[tuple[tuple[str, str], Decimal]]:
    """(account, amount) of a sales form's lines: items to their income account, discounts against it."""
    items = books.by_id("Item")
    accounts = books.by_id("Account")
    postings = []
    for line in row.get("Line", []):
        kind = line.get("DetailType")
        if kind == "SalesItemLineDetail":
            item = items.get(str((line[kind].get("ItemRef") or {}).get("value"))) or {}
            ref = item.get("IncomeAccountRef") or {}
            account = accounts.get(str(ref.get("value")))
            if account is not None:
                postings.append(((account["Id"], account["Name"]), line["Amount"]))
        elif kind == "DiscountLineDetail":
            ref = (line.get(kind) or {}).get("DiscountAccountRef") or {}
            account = accounts.get(str(ref.get("value")))
            key = (account["Id"], account["Name"]) if account else _DISCOUNT
            postings.append((key, -line["Amount"]))
    return postings


def _bill_postings(books: _Books, row: dict) -> list[tuple[tuple[str, str], Decimal]]:
    items = books.by_id("Item")
    accounts = books.by_id("Account")
    postings = []
    for line in row.get("Line", []):
        kind = line.get("DetailType")
        detail = line.get(kind) or {}
        if kind == "AccountBasedExpenseLineDetail":
            ref = detail.get("AccountRef") or {}
        elif kind == "ItemBasedExpenseLineDetail":
            ref = (items.get(str((detail.get("ItemRef") or {}).get("value"))) or {}).get("ExpenseAccountRef") or {}
        else:
            continue
        account = accounts.get(str(ref.get("value")))
        if account is not None:
            postings.append(((account["Id"], account["Name"]), line["Amount"]))
    return postings


def _in_period(row: dict, start: date, end: date) -> bool:
    return start <= date.fromisoformat(row["TxnDate"]) <= end


def _pnl_amounts(books: _Books, start: date, end: date, cash: bool) -> dict[tuple[str, str], Decimal]:
    amounts: dict[tuple[str, str], Decimal] = defaultdict(lambda: Decimal(0))

    def post(postings, factor: Decimal = Decimal(1)) -> None:
        for key, amount in postings:
            amounts[key] += amount * factor

    for receipt in books.rows["SalesReceipt"]:
        if _in_period(receipt, start, end):
            post(_sales_postings(books, receipt))
    if not cash:
        for invoice in books.rows["Invoice"]:
            if _in_period(invoice, start, end):
                post(_sales_postings(books, invoice))
        for bill in books.rows["Bill"]:
            if _in_period(bill, start, end):
                post(_bill_postings(books, bill))
        return amounts
    for payments, documents, postings in (("Payment", "Invoice", _sales_postings),
                                          ("BillPayment", "Bill", _bill_postings)):
        by_id = books.by_id(documents)
        for payment in books.rows[payments]:
            if not _in_period(payment, start, end):
                continue
            for line in payment.get("Line", []):
                for link in line.get("LinkedTxn", []):
                    document = by_id.get(str(link.get("TxnId"))) if link.get("TxnType") == documents else None
                    if document is not None and document["TotalAmt"] > 0:
                        post(postings(books, document), line["Amount"] / document["TotalAmt"])
    return amounts


def _profit_and_loss(books: _Books, params: Mapping[str, str]) -> dict:
    _refuse_unknown(params, ("start_date", "end_date", "date_macro", "accounting_method", "summarize_column_by"),
                    "ProfitAndLoss")
    start, end = _parse_date(params, "start_date"), _parse_date(params, "end_date")
    macro = params.get("date_macro") or ("This Fiscal Year-to-date" if start is None and end is None else None)
    if macro:
        macro_start, macro_end = date_macro_period(macro, books.today, books.fiscal_start_month)
        start, end = start or macro_start, end or macro_end
    if start is None:  # only end_date given: from the start of its fiscal year
        start = date_macro_period("This Fiscal Year", end, books.fiscal_start_month)[0]  # type: ignore[arg-type]
    end = end or books.today
    if start > end:
        raise invalid_value("start_date", f"start_date {start} is after end_date {end}")
    default_basis = (books.preferences.get("ReportPrefs") or {}).get("ReportBasis") or "Accrual"
    basis = _choice(params, "accounting_method", ("Accrual", "Cash"), default_basis)
    _choice(params, "summarize_column_by", ("Total",), "Total")

    accounts = books.by_id("Account")
    grouped: dict[str, list[tuple[str, str, Decimal]]] = defaultdict(list)
    for (account_id, name), amount in _pnl_amounts(books, start, end, basis == "Cash").items():
        amount = amount.quantize(CENT, rounding=ROUND_HALF_UP)
        # A discount line naming no account reduces income.
        account_type = (accounts.get(account_id) or {}).get("AccountType") if account_id else "Income"
        group = _PNL_GROUPS.get(account_type or "")
        if group is not None and amount != 0:
            grouped[group].append((account_id, name, amount))
    totals = {group: sum((amount for _, _, amount in rows), ZERO) for group, rows in grouped.items()}
    gross = totals.get("Income", ZERO) - totals.get("COGS", ZERO)
    operating = gross - totals.get("Expenses", ZERO)
    other = totals.get("OtherIncome", ZERO) - totals.get("OtherExpenses", ZERO)

    def section(group: str, title: str) -> dict:
        rows = sorted(grouped.get(group, []), key=lambda row: (row[1].lower(), row[0]))
        body: dict = {"Header": {"ColData": [{"value": title}, {"value": ""}]}}
        if rows:
            body["Rows"] = {"Row": [{"ColData": [{"value": name, **({"id": account_id} if account_id else {})},
                                                 {"value": _money(amount)}], "type": "Data"}
                                    for account_id, name, amount in rows]}
        body["Summary"] = {"ColData": [{"value": f"Total {title}"}, {"value": _money(totals[group]) if rows else ""}]}
        return {**body, "type": "Section", "group": group}

    def total(group: str, title: str, amount: Decimal) -> dict:
        summary = {"ColData": [{"value": title}, {"value": _money(amount)}]}
        return {"group": group, "type": "Section", "Summary": summary}

    rows = [section("Income", "Income")]
    if grouped.get("COGS"):
        rows.append(section("COGS", "Cost of Goods Sold"))
    rows += [total("GrossProfit", "Gross Profit", gross), section("Expenses", "Expenses"),
             total("NetOperatingIncome", "Net Operating Income", operating)]
    if grouped.get("OtherIncome") or grouped.get("OtherExpenses"):
        if grouped.get("OtherIncome"):
            rows.append(section("OtherIncome", "Other Income"))
        if grouped.get("OtherExpenses"):
            rows.append(section("OtherExpenses", "Other Expenses"))
        rows.append(total("NetOtherIncome", "Net Other Income", other))
    rows.append(total("NetIncome", "Net Income", operating + other))
    extra = {"ReportBasis": basis, "SummarizeColumnsBy": "Total"}
    if macro:
        extra["DateMacro"] = macro.lower()
    header = _header(books, "ProfitAndLoss", start, end, {"AccountingStandard": "GAAP"}, no_data=not grouped,
                     extra=extra)
    columns = [{"ColType": "Account", "ColTitle": "", "MetaData": [{"Name": "ColKey", "Value": "account"}]},
               {"ColType": "Money", "ColTitle": "Total", "MetaData": [{"Name": "ColKey", "Value": "total"}]}]
    return {"Header": header, "Columns": {"Column": columns}, "Rows": {"Row": rows}}


# ----------------------------------------------------------------------------------------------- entry

_REPORTS: dict[str, Callable[[_Books, Mapping[str, str]], dict]] = {
    "AgedPayables": lambda books, params: _aged_summary(books, _PAYABLES, params),
    "AgedPayableDetail": lambda books, params: _aged_detail(books, _PAYABLES, params),
    "AgedReceivables": lambda books, params: _aged_summary(books, _RECEIVABLES, params),
    "AgedReceivableDetail": lambda books, params: _aged_detail(books, _RECEIVABLES, params),
    "ProfitAndLoss": _profit_and_loss,
}
_BY_LOWER = {name.lower(): name for name in _REPORTS}
REPORT_NAMES = tuple(_REPORTS)


def build_report(realm, name: str, params: Mapping[str, str]) -> dict:
    """The report ``name`` of ``realm`` as QBO's JSON (``Header``, ``Columns``, ``Rows``). Raises QboFault
    for an unknown report (Unsupported Operation) or a bad or unsupported parameter (2010)."""
    canonical = _BY_LOWER.get(name.lower())
    if canonical is None:
        raise unsupported_operation(f"Report {name} (the sandbox serves {', '.join(REPORT_NAMES)})")
    return _REPORTS[canonical](_books(realm), params)
