"""A small, fully known portfolio on the in-memory mirror, and the services wired over it.

The services are built by the composition root's own ``runway.bootstrap.wire``, handed fakes instead of
the SQL repositories and the QBO client: what the tests run is wired exactly as the product is.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from domains.core.clock import FixedClock
from domains.core.freshness import STALE_AFTER
from infra.interfaces.records import (
    AccountRecord,
    BillPaymentRecord,
    BillPaymentStatus,
    BillRecord,
    CustomerPaymentRecord,
    CustomerRecord,
    InvoiceRecord,
    PaymentLine,
)
from runway.bootstrap import Ports, wire
from runway.container import Services
from tests.fakes.access import InMemoryAdvisors, InMemoryIdempotencyStore, InMemorySyncRequests, MirrorReadinessProbe
from tests.fakes.mirror import BillView, InMemoryMirror, InvoiceView
from tests.fakes.qbo_gateway import FakeQboGateway

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
TODAY = NOW.date()


def days(n: int) -> date:
    return TODAY + timedelta(days=n)


def bill(business_id: int, qbo_id: str, balance: str, due_in: int | None, total: str | None = None,
         vendor: str = "V1") -> BillRecord:
    return BillRecord(business_id, qbo_id, "0", vendor, days(-30), days(due_in) if due_in is not None else None,
                      Decimal(total or balance), Decimal(balance), doc_number=f"B-{qbo_id}", vendor_name="Acme Supply")


def invoice(business_id: int, qbo_id: str, balance: str, due_in: int | None, customer: str = "C1"
            ) -> InvoiceRecord:
    return InvoiceRecord(business_id, qbo_id, "0", customer, days(-60), days(due_in) if due_in is not None else None,
                         Decimal(balance), Decimal(balance), doc_number=f"INV-{qbo_id}", customer_name="Blue Cafe")


@dataclass(frozen=True)
class World(Services):
    """The wired services, and the fakes behind them (to arrange data and to look at what was called)."""

    mirror: InMemoryMirror
    gateway: FakeQboGateway
    advisor_store: InMemoryAdvisors
    idempotency_store: InMemoryIdempotencyStore
    readiness_probe: MirrorReadinessProbe
    sync_requests: InMemorySyncRequests


def wire_world(mirror: InMemoryMirror, clock: FixedClock | None = None, gateway: FakeQboGateway | None = None,
               *, stale_after: timedelta = STALE_AFTER) -> World:
    """``runway.bootstrap.wire`` over fakes: the mirror, a fake QBO gateway and the fake bookkeeping stores."""
    clock = clock or FixedClock(NOW)
    gateway = gateway or FakeQboGateway()
    advisors = InMemoryAdvisors(mirror)
    idempotency = InMemoryIdempotencyStore()
    readiness = MirrorReadinessProbe(mirror)
    sync_requests = InMemorySyncRequests(clock.now())
    ports = Ports(directory=mirror, bills=BillView(mirror), invoices=InvoiceView(mirror), payments=mirror,
                  bank=mirror, portfolio=mirror, sync_state=mirror, advisors=advisors, tokens=advisors,
                  idempotency=idempotency, readiness=readiness, gateway=gateway, sync_requests=sync_requests)
    services = wire(ports, clock, stale_after=stale_after)
    return World(**{f.name: getattr(services, f.name) for f in fields(Services)}, mirror=mirror, gateway=gateway,
                 advisor_store=advisors, idempotency_store=idempotency, readiness_probe=readiness,
                 sync_requests=sync_requests)


def small_world() -> tuple[InMemoryMirror, dict[str, int]]:
    """Two firms; firm A has two businesses, firm B one. Every figure is chosen to be checkable by hand."""
    m = InMemoryMirror()
    firm_a, firm_b = m.add_firm("Harbor"), m.add_firm("Other Firm")
    bakery = m.add_business(firm_a.id, "Bakery")
    studio = m.add_business(firm_a.id, "Studio")
    other = m.add_business(firm_b.id, "Elsewhere")
    b = bakery.id
    m.add(AccountRecord(b, "A1", "0", "Checking", "Bank", current_balance=Decimal("10000.00")))
    m.add(AccountRecord(b, "A2", "0", "Savings", "Bank", current_balance=Decimal("2500.50")))
    m.add(AccountRecord(b, "A3", "0", "Old", "Bank", current_balance=Decimal("999.00"), active=False))
    m.add(AccountRecord(b, "A4", "0", "Visa", "Credit Card", current_balance=Decimal("-400.00")))
    for rec in [bill(b, "1", "100.00", -100), bill(b, "2", "250.00", -10), bill(b, "3", "40.00", 3),
                bill(b, "4", "900.00", 20), bill(b, "5", "0.00", -5, total="75.00"), bill(b, "6", "60.00", None)]:
        m.add(rec)
    m.add(CustomerRecord(b, "C1", "0", "Blue Cafe"))
    for rec in [invoice(b, "10", "6000.00", -5), invoice(b, "11", "100.00", -95), invoice(b, "12", "2500.00", -10),
                invoice(b, "13", "100.00", -61), invoice(b, "14", "600.00", -1), invoice(b, "15", "100.00", -31),
                invoice(b, "16", "100.00", -2), invoice(b, "17", "700.00", 10)]:
        m.add(rec)
    m.add(BillPaymentRecord(b, "P1", "0", "V1", days(-3), Decimal("9000.00"), BillPaymentStatus.COMPLETED,
                            lines=(PaymentLine("5", Decimal("75.00")),)))
    m.add(BillPaymentRecord(b, "P2", "0", "V1", days(-100), Decimal("500.00"), BillPaymentStatus.COMPLETED))
    m.add(BillPaymentRecord(b, None, None, "V1", days(0), Decimal("10.00"), BillPaymentStatus.PENDING,
                            request_id="r-1"))
    m.add(CustomerPaymentRecord(b, "CP1", "0", "C1", days(-20), Decimal("1800.00"),
                                (PaymentLine("9", Decimal("1800.00")),)))
    m.add(CustomerPaymentRecord(b, "CP2", "0", "C1", days(-2), Decimal("0.10")))
    m.add(AccountRecord(studio.id, "A1", "0", "Checking", "Bank", current_balance=Decimal("50000.00")))
    m.add(AccountRecord(other.id, "A1", "0", "Checking", "Bank", current_balance=Decimal("7.00")))
    m.add(bill(other.id, "1", "555.00", -100))
    m.mark_synced(b, NOW - timedelta(hours=2))
    m.mark_synced(studio.id, NOW - timedelta(hours=30))
    return m, {"firm_a": firm_a.id, "firm_b": firm_b.id, "bakery": b, "studio": studio.id, "other": other.id}
