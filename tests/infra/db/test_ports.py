"""The repositories implement every local port, and agree with the in-memory fake on random data; the
hand-written fakes (tests/fakes) implement the ports they stand in for."""

from __future__ import annotations

import dataclasses
from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from infra.db.repositories import (
    SqlBankMirror,
    SqlBillMirror,
    SqlBusinessDirectory,
    SqlInvoiceMirror,
    SqlPaymentMirror,
    SqlPortfolioMirror,
    SqlSyncStateReader,
)
from infra.interfaces import access, ports
from infra.interfaces.records import BillRecord, DaysAmountBand, InvoiceRecord
from tests.fakes.access import InMemoryAdvisors, InMemoryIdempotencyStore, InMemorySyncRequests, MirrorReadinessProbe
from tests.fakes.mirror import BillView, InMemoryMirror, InvoiceView
from tests.fakes.qbo_gateway import FakeQboGateway
from tests.infra.db.protocols import assert_implements

IMPLEMENTATIONS = [
    (SqlBusinessDirectory, ports.BusinessDirectory),
    (SqlSyncStateReader, ports.SyncStateReader),
    (SqlBillMirror, ports.BillMirror),
    (SqlInvoiceMirror, ports.InvoiceMirror),
    (SqlPaymentMirror, ports.PaymentMirror),
    (SqlBankMirror, ports.BankMirror),
    (SqlPortfolioMirror, ports.PortfolioMirror),
]


@pytest.mark.parametrize(("cls", "protocol"), IMPLEMENTATIONS, ids=lambda x: x.__name__)
def test_repository_implements_its_port(cls, protocol, sqlite_db):
    assert_implements(cls, protocol)
    assert isinstance(cls(sqlite_db.session_factory), protocol)


FAKES = [
    # BillView and InvoiceView hand everything but ``aging`` to the mirror, which has both ports' methods.
    (InMemoryMirror, (ports.BusinessDirectory, ports.SyncStateReader, ports.BillMirror, ports.InvoiceMirror,
                      ports.PaymentMirror, ports.BankMirror, ports.PortfolioMirror)),
    (FakeQboGateway, (ports.QboGateway,)),
    (InMemoryAdvisors, (access.AdvisorDirectory, access.ApiTokenStore)),
    (InMemoryIdempotencyStore, (access.IdempotencyStore,)),
    (MirrorReadinessProbe, (access.ReadinessProbe,)),
    (InMemorySyncRequests, (access.SyncRequests,)),
]


@pytest.mark.parametrize(("cls", "protocols"), FAKES, ids=lambda x: getattr(x, "__name__", ""))
def test_fake_implements_the_ports_it_stands_in_for(cls, protocols):
    for protocol in protocols:
        assert_implements(cls, protocol)


AS_OF = date(2026, 3, 31)
BUCKETS = [("not due", None, 0), ("1-30", 1, 30), ("31-60", 31, 60), ("61+", 61, None), ("any", None, None)]
BANDS = [DaysAmountBand("a", 60, Decimal("500.00")), DaysAmountBand("b", 14, Decimal("100.00"))]

documents = st.lists(
    st.tuples(
        st.one_of(st.none(), st.integers(min_value=-40, max_value=120)),  # due: days before AS_OF
        st.sampled_from([0, 1, 99, 1000, 1000, 5050, 10000, 49999, 50000, 10_000_000]),  # balance in cents
    ),
    max_size=25,
)


@pytest.fixture(scope="module")
def parity_db(tmp_path_factory, sqlite_template):
    """One SQLite mirror for every example (each example writes its own business)."""
    import shutil

    from infra.db.engine import create_engine_for, create_session_factory, sqlite_url
    from infra.db.writer import MirrorWriter

    path = tmp_path_factory.mktemp("parity") / "mirror.db"
    shutil.copyfile(sqlite_template, path)
    engine = create_engine_for(sqlite_url(path))
    sf = create_session_factory(engine)
    writer = MirrorWriter(sf)
    firm = writer.create_firm("Parity")
    yield writer, firm.id, SqlBillMirror(sf), SqlInvoiceMirror(sf)
    engine.dispose()


_counter = iter(range(1, 10**9))


@pytest.mark.slow  # 40 random portfolios written to SQLite
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(docs=documents, cap_cents=st.integers(min_value=0, max_value=200_000), soon=st.integers(0, 30))
def test_sql_mirror_agrees_with_the_fake(parity_db, docs, cap_cents, soon):
    writer, firm_id, bill_mirror, invoice_mirror = parity_db
    business = writer.create_business(firm_id, "P", f"parity-{next(_counter)}").id
    bills = [BillRecord(business, f"b{n}", "0", "v", AS_OF - timedelta(days=200),
                        None if due is None else AS_OF - timedelta(days=due), Decimal(cents).scaleb(-2),
                        Decimal(cents).scaleb(-2)) for n, (due, cents) in enumerate(docs)]
    invoices = [InvoiceRecord(business, f"i{n}", "0", "c", AS_OF - timedelta(days=200),
                              None if due is None else AS_OF - timedelta(days=due), Decimal(cents).scaleb(-2),
                              Decimal(cents).scaleb(-2)) for n, (due, cents) in enumerate(docs)]
    writer.upsert_bills(bills)
    writer.upsert_invoices(invoices)
    fake = InMemoryMirror()
    # The fake keeps records as given: give it the ids the database assigned.
    for record in bill_mirror.unpaid_bills(business):
        fake.add(dataclasses.replace(record, vendor_name=None))
    for n, record in enumerate(invoices):
        fake.add(dataclasses.replace(record, id=invoice_mirror.get_invoice_by_qbo_id(business, f"i{n}").id))

    def strip(rows):
        return [dataclasses.replace(r, vendor_name=None) for r in rows]

    cap = Decimal(cap_cents).scaleb(-2)
    assert bill_mirror.ap_summary(business, AS_OF, soon) == fake.ap_summary(business, AS_OF, soon)
    assert invoice_mirror.ar_summary(business, AS_OF, soon) == fake.ar_summary(business, AS_OF, soon)
    assert bill_mirror.aging(business, AS_OF, BUCKETS) == BillView(fake).aging(business, AS_OF, BUCKETS)
    assert invoice_mirror.aging(business, AS_OF, BUCKETS) == InvoiceView(fake).aging(business, AS_OF, BUCKETS)
    assert strip(bill_mirror.unpaid_bills(business)) == fake.unpaid_bills(business)
    assert strip(bill_mirror.overdue_bills(business, AS_OF)) == fake.overdue_bills(business, AS_OF)
    assert strip(bill_mirror.bills_fitting_cap(business, cap)) == fake.bills_fitting_cap(business, cap)
    assert strip(bill_mirror.bills_fitting_cap(business, cap, due_on_or_before=AS_OF)) == \
        fake.bills_fitting_cap(business, cap, due_on_or_before=AS_OF)
    assert strip(bill_mirror.bills_due_between(business, AS_OF - timedelta(days=30), AS_OF)) == \
        fake.bills_due_between(business, AS_OF - timedelta(days=30), AS_OF)
    got = invoice_mirror.overdue_invoices(business, AS_OF, BANDS, "c", limit=10)
    want = fake.overdue_invoices(business, AS_OF, BANDS, "c", limit=10)
    assert [(r.invoice.qbo_id, r.band, r.days_overdue) for r in got] == \
        [(r.invoice.qbo_id, r.band, r.days_overdue) for r in want]
