"""QBO's aging summary reports (``AgedPayables``, ``AgedReceivables``) read into ``ReportedAging`` records.

What is read of the report JSON (``Header``, ``Columns``, ``Rows``), as Intuit's Reports API sends it:

- the as-of date: the ``report_date`` option of the ``Header`` (else its ``EndPeriod``);
- the aging columns, by their titles: ``Current`` (not yet due), ``"a - b"`` (``a`` to ``b`` days past due),
  ``"n and over"`` (``n`` days or more); the first column (the vendor or customer) and ``Total`` are not
  buckets, ``Total`` gives the grand total;
- the totals: the ``Summary`` of the ``GrandTotal`` section (QBO sends no such row when the company has no
  open documents: every total is then 0).

Money cells are strings (``"1234.50"``, ``""`` for nothing) and become ``Decimal``. A report that cannot be
read this way raises ``MalformedEntityError`` naming the report and what is wrong with it.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from infra.interfaces.records import AgingLedger, ReportedAging, ReportedAgingBucket
from infra.qbo._json import get_ci
from infra.qbo.errors import MalformedEntityError

__all__ = ["AGING_REPORTS", "aging_bucket_range", "to_reported_aging"]

#: The report QBO names for each ledger.
AGING_REPORTS = {AgingLedger.PAYABLES: "AgedPayables", AgingLedger.RECEIVABLES: "AgedReceivables"}

_RANGE = re.compile(r"^(\d+)\s*-\s*(\d+)$")
_OPEN_ENDED = re.compile(r"^(\d+)\s*(?:and over|or more|or over|\+)$", re.IGNORECASE)


def aging_bucket_range(title: str) -> tuple[int | None, int | None] | None:
    """The days past due an aging column covers, from its title; None when the title is not a bucket."""
    text = " ".join(title.split())
    if text.lower() == "current":
        return None, 0
    if (match := _RANGE.match(text)) is not None:
        return int(match.group(1)), int(match.group(2))
    if (match := _OPEN_ENDED.match(text)) is not None:
        return int(match.group(1)), None
    return None


def to_reported_aging(ledger: AgingLedger, report: dict, *, realm_id: str | None = None) -> ReportedAging:
    """The grand totals per aging bucket of an ``AgedPayables`` / ``AgedReceivables`` summary report."""
    name = AGING_REPORTS[ledger]

    def malformed(reason: str) -> MalformedEntityError:
        return MalformedEntityError(name, None, reason, realm_id=realm_id)

    header = get_ci(report, "Header")
    if not isinstance(header, dict):
        raise malformed("the report has no Header")
    as_of = _as_of(header, malformed)
    columns = get_ci(get_ci(report, "Columns"), "Column")
    if not isinstance(columns, list) or len(columns) < 2:
        raise malformed("the report has no Columns")
    titles = [str(get_ci(column, "ColTitle") or "") if isinstance(column, dict) else "" for column in columns]
    totals = _grand_totals(report, len(columns), malformed)
    buckets: list[ReportedAgingBucket] = []
    total: Decimal | None = None
    for index, title in enumerate(titles[1:], start=1):  # the first column names the vendor / customer
        amount = _money(totals[index], malformed) if totals is not None else Decimal("0")
        if title.strip().lower() == "total":
            total = amount
            continue
        days = aging_bucket_range(title)
        if days is None:
            raise malformed(f"column {title!r} is neither an aging bucket nor the total")
        buckets.append(ReportedAgingBucket(" ".join(title.split()), days[0], days[1], amount))
    if not buckets:
        raise malformed("the report has no aging columns")
    if total is None:
        total = sum((bucket.total for bucket in buckets), Decimal("0"))
    return ReportedAging(ledger, name, as_of, tuple(buckets), total)


def _as_of(header: dict, malformed) -> date:
    options = get_ci(header, "Option") or []
    values = {str(get_ci(option, "Name")).lower(): get_ci(option, "Value")
              for option in options if isinstance(option, dict)}
    text = values.get("report_date") or get_ci(header, "EndPeriod")
    try:
        return date.fromisoformat(str(text)[:10])
    except ValueError:
        raise malformed(f"the report's date {text!r} is not a date") from None


def _grand_totals(report: dict, width: int, malformed) -> list[Any] | None:
    """The cells of the ``GrandTotal`` summary (None when the report has no such row: nothing is open)."""
    rows = get_ci(get_ci(report, "Rows"), "Row") or []
    for row in rows if isinstance(rows, list) else []:
        if isinstance(row, dict) and str(get_ci(row, "group") or "").lower() == "grandtotal":
            cells = get_ci(get_ci(row, "Summary"), "ColData")
            if not isinstance(cells, list) or len(cells) != width:
                raise malformed(f"the GrandTotal row has {len(cells) if isinstance(cells, list) else 'no'} "
                                f"cells for {width} columns")
            return [get_ci(cell, "value") if isinstance(cell, dict) else None for cell in cells]
    return None


def _money(value: Any, malformed) -> Decimal:
    if value in (None, ""):
        return Decimal("0")
    try:
        amount = Decimal(str(value).replace(",", ""))
    except InvalidOperation:
        raise malformed(f"{value!r} is not an amount") from None
    if not amount.is_finite():
        raise malformed(f"{value!r} is not an amount")
    return amount
