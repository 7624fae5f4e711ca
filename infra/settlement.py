"""Settling payments whose answer was lost: no ghost payment in the mirror, no pending row forever.

A payment of ours is stored *pending* before QBO is asked (``PaymentService.record_bill_payment``). When QBO
made it but the answer never arrived and every retry failed, the pending row stays; the next sync then mirrors
the same payment from QBO as a second row. ``settle_pending_payments`` runs at the end of a business's sync
(``infra.jobs.sync``) and looks every pending payment up in QBO by the ``PrivateNote`` it was sent with
(``infra.qbo.gateway.payment_note``: the ``requestid``), among QBO's bill payments of its date:

- found: the pending row becomes that payment (``complete_bill_payment``, which folds the synced copy into it),
  so the mirror holds exactly one row per QBO payment;
- not found and pending longer than ``give_up_after``: QBO never made it; the row is removed (nothing was
  paid) and reported;
- not found yet: left pending (its request may still be in flight, or be retried by its client).

Never raises: a failure is logged and reported, and the sync's own result is untouched.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select

from infra.db._base import SessionScoped
from infra.db.mapping import bill_payment_record
from infra.db.repositories._queries import bill_payment_lines_for
from infra.db.repositories.payments import SqlPaymentMirror
from infra.db.tables import bill_payments
from infra.interfaces.records import BillPaymentRecord, BillPaymentStatus
from infra.qbo.client import QboClient, qbo_literal
from infra.qbo.gateway import payment_note
from infra.qbo.mapping import to_bill_payment_record

logger = logging.getLogger("infra.settlement")

# A pending payment not found in QBO after this long was never made (every client retry has long stopped).
DEFAULT_GIVE_UP_AFTER = timedelta(hours=24)


@dataclass
class SettlementReport:
    """What settling one business's pending payments did, by ``request_id``."""

    business_id: int
    settled: list[str] = field(default_factory=list)  # found in QBO: the pending row is now that payment
    discarded: list[str] = field(default_factory=list)  # not in QBO after the bound: nothing was paid
    waiting: list[str] = field(default_factory=list)  # not in QBO yet, still within the bound
    error: str | None = None


def settle_pending_payments(mirror: SessionScoped, client: QboClient, business_id: int, realm_id: str, *,
                            now: datetime, give_up_after: timedelta = DEFAULT_GIVE_UP_AFTER) -> SettlementReport:
    """Settle every pending bill payment of one business (see the module docstring). ``mirror`` is any
    adapter over the mirror database (its sessions are used)."""
    report = SettlementReport(business_id)
    try:
        payments = SqlPaymentMirror(mirror.session_factory)
        for pending in _pending(payments, business_id):
            request_id = pending.request_id or ""
            found = _find_in_qbo(client, realm_id, pending)
            if found is not None:
                created = to_bill_payment_record(business_id, found, request_id=request_id)
                payments.complete_bill_payment(business_id, request_id, created, [])
                report.settled.append(request_id)
                logger.info("business %s: pending payment %s found in QBO as %s: settled", business_id,
                            request_id, created.qbo_id)
            elif pending.pending_since is None or now - pending.pending_since > give_up_after:
                payments.discard_pending_bill_payment(business_id, request_id)
                report.discarded.append(request_id)
                logger.warning("business %s: pending payment %s (%s of vendor %s) is not in QBO after %s: "
                               "nothing was paid, removed", business_id, request_id, pending.total_amount,
                               pending.vendor_qbo_id, give_up_after)
            else:
                report.waiting.append(request_id)
    except Exception as exc:  # settling must never fail the sync that runs it
        logger.exception("business %s: settling pending payments failed", business_id)
        report.error = f"{type(exc).__name__}: {exc}"
    return report


def _pending(payments: SqlPaymentMirror, business_id: int) -> list[BillPaymentRecord]:
    with payments.transaction("read pending bill payments") as session:
        rows = session.execute(select(bill_payments).where(
            bill_payments.c.business_id == business_id,
            bill_payments.c.status == BillPaymentStatus.PENDING.value,
            bill_payments.c.request_id.is_not(None)).order_by(bill_payments.c.id)).mappings().all()
        lines = bill_payment_lines_for(session, [row["id"] for row in rows])
        return [bill_payment_record(row, lines[row["id"]]) for row in rows]


def _find_in_qbo(client: QboClient, realm_id: str, pending: BillPaymentRecord) -> dict | None:
    """QBO's bill payment carrying ``pending``'s note, among those of its date and vendor (QBO cannot filter
    on ``PrivateNote`` itself)."""
    note = payment_note(pending.request_id or "")
    where = f"TxnDate = {qbo_literal(pending.txn_date.isoformat())}"
    for row in client.query_all(realm_id, "BillPayment", where=where):
        vendor = (row.get("VendorRef") or {}).get("value")
        if vendor == pending.vendor_qbo_id and note in str(row.get("PrivateNote") or ""):
            return row
    return None
