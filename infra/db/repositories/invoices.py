"""InvoiceMirror over ``invoices``, ``customers`` and ``customer_payments`` (+ lines)."""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Integer, bindparam, case, literal_column, select

from infra.db._base import SessionScoped
from infra.db.mapping import customer_payment_record, customer_record
from infra.db.repositories._queries import (
    aging,
    customer_payment_lines_for,
    invoice_from_row,
    invoice_select,
    is_open,
    open_summary,
)
from infra.db.tables import customer_payments, customers, invoices
from infra.db.upsert import upsert_invoices
from infra.interfaces.errors import RecordNotFound, StorageError
from infra.interfaces.records import (
    AgingBucketTotal,
    CustomerPaymentRecord,
    CustomerRecord,
    DaysAmountBand,
    InvoiceRecord,
    OpenAmountSummary,
    OverdueInvoiceRow,
)


class SqlInvoiceMirror(SessionScoped):
    """Implements ``InvoiceMirror``."""

    def get_invoice_by_qbo_id(self, business_id: int, qbo_id: str) -> InvoiceRecord:
        stmt = invoice_select().where(invoices.c.business_id == business_id, invoices.c.qbo_id == qbo_id)
        with self.transaction("read an invoice") as session:
            row = session.execute(stmt).first()
        if row is None:
            raise RecordNotFound(f"business {business_id} has no invoice with QBO Id {qbo_id}")
        return invoice_from_row(row)

    def get_customer_by_qbo_id(self, business_id: int, qbo_id: str) -> CustomerRecord:
        stmt = select(customers).where(customers.c.business_id == business_id, customers.c.qbo_id == qbo_id)
        with self.transaction("read a customer") as session:
            row = session.execute(stmt).mappings().first()
        if row is None:
            raise RecordNotFound(f"business {business_id} has no customer with QBO Id {qbo_id}")
        return customer_record(row)

    def overdue_invoices(self, business_id: int, as_of: date, bands: Sequence[DaysAmountBand],
                         default_band: str, *, limit: int | None = None) -> list[OverdueInvoiceRow]:
        """Ranks the open overdue invoices on the index-only slice ``ix_invoices_open_due`` (band as a CASE
        over due-date and balance bounds), then joins only the ``limit`` chosen ids back to full rows."""
        params: dict[str, object] = {"business_id": business_id, "as_of": as_of, "limit": limit}
        for n, band in enumerate(bands):
            # "more than N days overdue" is "due before as_of - N": no per-row date arithmetic.
            params[f"due_before_{n}"] = as_of - timedelta(days=band.days_over)
            params[f"amount_over_{n}"] = band.amount_over
        labels = [band.label for band in bands] + [default_band]
        with self.transaction("list overdue invoices") as session:
            rows = session.execute(_overdue_statement(len(bands), limit is not None), params).all()
        out = []
        for row in rows:
            invoice = invoice_from_row(row)
            assert invoice.due_date is not None
            out.append(OverdueInvoiceRow(invoice=invoice, days_overdue=(as_of - invoice.due_date).days,
                                         band=labels[row[-1]]))
        return out

    def ar_summary(self, business_id: int, as_of: date, due_within_days: int) -> OpenAmountSummary:
        with self.transaction("summarise open invoices") as session:
            return open_summary(session, invoices, business_id, as_of, due_within_days)

    def aging(self, business_id: int, as_of: date, buckets: Sequence[tuple[str, int | None, int | None]]
              ) -> list[AgingBucketTotal]:
        with self.transaction("age open invoices") as session:
            return aging(session, invoices, business_id, as_of, buckets)

    def customer_payments(self, business_id: int, customer_qbo_id: str) -> list[CustomerPaymentRecord]:
        stmt = (select(customer_payments)
                .where(customer_payments.c.business_id == business_id,
                       customer_payments.c.customer_qbo_id == customer_qbo_id)
                .order_by(customer_payments.c.txn_date.desc(), customer_payments.c.id.desc()))
        with self.transaction("list customer payments") as session:
            rows = session.execute(stmt).mappings().all()
            lines = customer_payment_lines_for(session, [row["id"] for row in rows])
        return [customer_payment_record(row, lines[row["id"]]) for row in rows]

    def record_invoice_sent(self, business_id: int, invoice: InvoiceRecord) -> None:
        """Stores the invoice as QBO answered it (e-mail status, SyncToken, ...) unless the mirror already
        holds a newer SyncToken; ``RecordNotFound`` if the business has no such invoice."""
        if invoice.business_id != business_id:
            raise StorageError(f"invoice {invoice.qbo_id} belongs to business {invoice.business_id}, "
                               f"not {business_id}")
        with self.transaction("record an invoice sent", write=True) as session:
            exists = session.execute(select(invoices.c.id).where(
                invoices.c.business_id == business_id, invoices.c.qbo_id == invoice.qbo_id)).first()
            if exists is None:
                raise RecordNotFound(f"business {business_id} has no invoice with QBO Id {invoice.qbo_id}")
            upsert_invoices(session, [dataclasses.replace(invoice, id=None)])


@functools.cache
def _overdue_statement(bands: int, limited: bool) -> Any:
    """``overdue_invoices``' statement for that many bands, built once with bound parameters (``business_id``,
    ``as_of``, ``due_before_<n>`` and ``amount_over_<n>`` per band, ``limit``): building and keying a statement
    this size cost more than running it."""
    whens = [((invoices.c.due_date < bindparam(f"due_before_{n}"))
              | (invoices.c.balance > bindparam(f"amount_over_{n}")), literal_column(str(n))) for n in range(bands)]
    band_index = case(*whens, else_=literal_column(str(bands))) if whens else literal_column("0")
    by_band = [band_index] if whens else []  # (ORDER BY 0 would name a column by position)
    ranked = (select(invoices.c.id, band_index.label("band"))
              .where(invoices.c.business_id == bindparam("business_id"), is_open(invoices),
                     invoices.c.due_date < bindparam("as_of"))
              .order_by(*by_band, invoices.c.balance.desc(), invoices.c.due_date, invoices.c.id))
    if limited:
        ranked = ranked.limit(bindparam("limit", type_=Integer))
    chosen = ranked.subquery("ranked")
    return (invoice_select().add_columns(chosen.c.band).join(chosen, chosen.c.id == invoices.c.id)
            .order_by(chosen.c.band, invoices.c.balance.desc(), invoices.c.due_date, invoices.c.id))
