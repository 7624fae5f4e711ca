"""Several threads writing to one SQLite mirror at once: writers wait for each other, nobody fails."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import date

import pytest

from infra.db.repositories import SqlBillMirror, SqlPaymentMirror
from infra.db.writer import MirrorWriter
from infra.interfaces.records import BillPaymentStatus
from tests.infra.db.builders import D, bill, bill_payment


@pytest.mark.slow  # threads racing on one database
def test_concurrent_read_then_write_transactions(sqlite_db):
    writer = MirrorWriter(sqlite_db.session_factory)
    payments = SqlPaymentMirror(sqlite_db.session_factory)
    firm = writer.create_firm("F")
    business = writer.create_business(firm.id, "B", "realm").id
    writer.upsert_bills([bill(business, f"b{n}", "100.00", date(2026, 4, 1)) for n in range(8)])

    def work(worker: int) -> None:
        for n in range(15):
            request = f"w{worker}-{n}"
            payments.add_pending_bill_payment(bill_payment(
                business, None, "1.00", date(2026, 3, 31), status=BillPaymentStatus.PENDING, token=None,
                request_id=request))
            # complete_bill_payment reads first and writes after: the classic SQLITE_BUSY trap.
            payments.complete_bill_payment(
                business, request, bill_payment(business, request, "1.00", date(2026, 3, 31)),
                [bill(business, f"b{worker}", str(D("100.00") - n - 1), date(2026, 4, 1), token=str(n + 1))])

    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(work, range(4)))

    assert len(payments.list_bill_payments(business, status=BillPaymentStatus.COMPLETED)) == 60
    bills = SqlBillMirror(sqlite_db.session_factory)
    assert [bills.get_bill_by_qbo_id(business, f"b{w}").balance for w in range(4)] == [D("85.00")] * 4
