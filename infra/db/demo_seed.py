"""Deterministic demo and benchmark portfolios for the mirror.

``seed_demo_portfolio`` writes one advisory firm with six client businesses whose books look real: vendors,
customers, bank / credit-card / AP / AR accounts, bills and invoices (paid, partly paid, open; due dates
from ~165 days ago to ~60 days ahead), and the bill payments and customer payments that paid them. Each
client is tuned to a runway band of the runway formula (``runway.services.runway_calc``)::

    runway days = (cash + open AR - open AP) / ((bill payments - customer payments over 90 days) / 90)

by generating the documents first, then scaling the bills (open AP = open AR, so cash alone gives the same
figure; bill payments = receipts + the net burn) and choosing the bank balances (the cash) so that the
figure lands well inside the band: critical (~4 days), warning (~18 / ~22), healthy (~55 / ~70), excellent
(~240). One client's sync state is three days old (the stale flag).

``seed_benchmark_portfolio`` writes the benchmark portfolio: many businesses, the first with 50,000 bills
and 50,000 invoices. Both functions are pure functions of their arguments: the same seed, ``today`` and
``now`` give the same rows (and, in an empty database, the same ids). Seed into an empty, migrated mirror.
"""

from __future__ import annotations

import bisect
import random
from collections import defaultdict
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from infra.db.writer import MirrorWriter
from infra.interfaces.records import (
    AccountRecord,
    BillPaymentRecord,
    BillPaymentStatus,
    BillRecord,
    BusinessRecord,
    CustomerPaymentRecord,
    CustomerRecord,
    Entity,
    FirmRecord,
    InvoiceRecord,
    PaymentLine,
    SyncStateRecord,
    VendorRecord,
)

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
WINDOW_DAYS = 90  # the runway formula's trailing window: [today - 89, today]
FIRM_NAME = "Harbor & Pine Advisors"
MIN_CASH = Decimal("2500.00")


# -- results ---------------------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class SeededBusiness:
    """What was written for one business, and the runway figures it was tuned to (90-day window)."""

    business: BusinessRecord
    industry: str
    target_status: str
    vendors: int
    customers: int
    accounts: int
    bills: int
    invoices: int
    bill_payments: int
    customer_payments: int
    cash: Decimal
    open_ar: Decimal
    open_ap: Decimal
    paid_in_window: Decimal
    received_in_window: Decimal
    runway_days: Decimal | None
    last_synced_at: datetime

    @property
    def rows(self) -> int:
        return (self.vendors + self.customers + self.accounts + self.bills + self.invoices
                + self.bill_payments + self.customer_payments)


@dataclass(frozen=True, slots=True)
class SeedSummary:
    firm: FirmRecord
    businesses: tuple[SeededBusiness, ...]
    seed: int
    today: date
    now: datetime
    window: tuple[date, date]

    @property
    def total_rows(self) -> int:
        """Mirrored entity rows written (payment lines and sync state not counted)."""
        return sum(b.rows for b in self.businesses)

    def by_status(self) -> dict[str, list[SeededBusiness]]:
        out: dict[str, list[SeededBusiness]] = defaultdict(list)
        for b in self.businesses:
            out[b.target_status].append(b)
        return dict(out)


# -- business profiles -----------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Profile:
    name: str
    industry: str
    status: str                     # the runway band the business is tuned to
    target_days: Decimal            # runway days aimed at
    burn_ratio: Decimal             # net burn as a share of receipts (bill payments = receipts x (1 + ratio))
    vendors: int
    customers: int
    bills: int
    invoices: int
    invoice_mean: float             # typical invoice amount, dollars
    bill_mean: float                # typical bill amount before scaling, dollars
    customer_kind: str = "business"  # or "person"
    vendor_names: tuple[str, ...] = ()
    terms: tuple[int, ...] = (15, 30, 30, 45)
    stale_days: int = 0
    history_days: int = 170         # documents dated from this many days ago to today


DEMO_PROFILES: tuple[Profile, ...] = (
    Profile("Rise & Shine Bakery", "bakery", "critical", Decimal(4), Decimal("0.30"), vendors=34, customers=48,
            bills=1450, invoices=620, invoice_mean=310, bill_mean=420, terms=(7, 15, 15, 30),
            vendor_names=("Central Valley Flour Mills", "Dairy Fresh Co-op", "Sweet Cane Sugar Supply",
                          "Orchard Lane Fruit", "Pacific Packaging", "Hearth Oven Service",
                          "City Gas & Electric", "Bayside Eggs", "Vanilla Bean Importers", "Cocoa Trade Partners")),
    Profile("Greenway Landscaping", "landscaping", "warning", Decimal(18), Decimal("0.22"), vendors=46,
            customers=120, bills=1100, invoices=1350, invoice_mean=640, bill_mean=700,
            vendor_names=("Evergreen Nursery Wholesale", "Stone Ridge Pavers", "Valley Fuel & Diesel",
                          "Irrigation Direct", "Mulch Masters", "Toro Equipment Rental", "Granite Rock Supply",
                          "Sunset Sod Farms", "FleetCare Truck Service", "Landscape Lighting Pros")),
    Profile("Bright Smile Dental", "dental practice", "healthy", Decimal(55), Decimal("0.12"), vendors=28,
            customers=150, bills=520, invoices=1900, invoice_mean=380, bill_mean=1500, customer_kind="person",
            terms=(30, 30, 30, 15),
            vendor_names=("Patterson Dental Supply", "Henry Schein", "Dentsply Sirona", "Coastal Dental Lab",
                          "MedWaste Solutions", "SmileCare Software", "Bayview Medical Linen",
                          "Office Park Properties", "X-Ray Calibration Services")),
    Profile("Northline Design Studio", "design studio", "excellent", Decimal(240), Decimal("0.05"), vendors=22,
            customers=36, bills=380, invoices=540, invoice_mean=4200, bill_mean=900, terms=(15, 30, 30, 45),
            vendor_names=("Adobe Systems", "Figma Inc.", "WeWork Mission St", "Pixel Print Shop",
                          "Stock Imagery Co", "Freelance Collective", "Cloud Render Farm", "Studio Furniture Co")),
    Profile("Keystone Plumbing & Heating", "plumbing contractor", "healthy", Decimal(70), Decimal("0.15"),
            vendors=52, customers=140, bills=1700, invoices=1500, invoice_mean=890, bill_mean=760,
            vendor_names=("Ferguson Plumbing Supply", "Keystone Pipe & Fittings", "Rheem Water Heaters",
                          "Uponor PEX Distribution", "Fleet Fuel Cards", "ToolCrib Rentals", "Copper Supply Co",
                          "Drain Camera Repair", "Heating Parts Warehouse", "Valley Van Leasing")),
    Profile("Copper Kettle Brewing Co.", "craft brewery", "warning", Decimal(22), Decimal("0.25"), vendors=40,
            customers=70, bills=1250, invoices=980, invoice_mean=1150, bill_mean=1300, terms=(15, 30, 30, 30),
            stale_days=3,
            vendor_names=("Briess Malt & Ingredients", "Yakima Chief Hops", "White Labs Yeast",
                          "Can-Am Aluminum Cans", "Keg Logistics", "CO2 Gas Supply", "Glassware Unlimited",
                          "Brewery Equipment Service", "Cold Chain Distribution", "Taproom POS Systems")),
)

_NAME_A = ("Summit", "Harbor", "Oak", "Pioneer", "Bluebird", "Granite", "Maple", "Silver", "Northwind", "Cedar",
           "Riverbend", "Lakeside", "Redwood", "Golden Gate", "Mission", "Sierra", "Coastal", "Prairie", "Union",
           "Beacon", "Alpine", "Liberty", "Crescent", "Highland", "Willow", "Ironwood", "Bay Area", "Metro",
           "Keystone", "Atlas")
_NAME_B = ("Supply", "Services", "Partners", "Distributors", "Logistics", "Wholesale", "Group", "Traders",
           "Works", "Solutions", "Provisions", "Outfitters", "Systems", "Rentals", "Associates")
_NAME_C = ("Inc.", "LLC", "Co.", "Ltd.", "")
_CUSTOMER_B = ("Cafe", "Bistro", "Property Management", "HOA", "Apartments", "Market", "Hotel", "Restaurant",
               "Office Park", "Realty", "Builders", "Studios", "Foods", "Medical Group", "Academy", "Fitness")
_FIRST = ("James", "Maria", "Robert", "Linda", "Michael", "Patricia", "David", "Jennifer", "Daniel", "Elizabeth",
          "Carlos", "Susan", "Kevin", "Aisha", "Brian", "Mei", "Thomas", "Priya", "Jose", "Emily", "Andre",
          "Sofia", "Nathan", "Grace", "Omar", "Hannah", "Luis", "Chloe", "Samuel", "Fatima")
_LAST = ("Smith", "Garcia", "Johnson", "Nguyen", "Brown", "Martinez", "Lee", "Wilson", "Anderson", "Thomas",
         "Patel", "Moore", "Jackson", "Kim", "White", "Lopez", "Harris", "Clark", "Lewis", "Young", "Walker",
         "Hall", "Allen", "Wright", "Scott", "Torres", "Hill", "Adams", "Baker", "Rivera")


def _unique_names(rng: random.Random, count: int, first: tuple[str, ...], make) -> list[str]:
    names: list[str] = []
    seen: set[str] = set()
    for name in first:
        if len(names) >= count:
            break
        names.append(name)
        seen.add(name)
    attempts = 0
    while len(names) < count:
        attempts += 1
        name = make(rng)
        if attempts > 50 * count:  # pools exhausted: number the rest
            name = f"{name} #{len(names) + 1}"
        if name not in seen:
            seen.add(name)
            names.append(name)
    return names


def _vendor_name(rng: random.Random) -> str:
    return " ".join(p for p in (rng.choice(_NAME_A), rng.choice(_NAME_B), rng.choice(_NAME_C)) if p)


def _business_customer_name(rng: random.Random) -> str:
    return f"{rng.choice(_NAME_A)} {rng.choice(_CUSTOMER_B)}"


def _person_name(rng: random.Random) -> str:
    return f"{rng.choice(_FIRST)} {rng.choice(_LAST)}"


def _email(name: str, domain: str) -> str:
    local = "".join(ch for ch in name.lower().replace(" ", ".") if ch.isalnum() or ch == ".").strip(".")
    return f"{local or 'billing'}@{domain}"


# -- one business ----------------------------------------------------------------------------------------

@dataclass(slots=True)
class _Doc:
    """A bill or invoice being generated; amounts in integer cents (bills: weights until scaled)."""

    qbo_id: str
    party: int
    txn_date: date
    due_date: date
    amount: int
    paid_pct: int  # 100 paid, 0 open, in between partly paid
    pay_date: date | None
    doc_number: str

    @property
    def paid(self) -> int:
        return self.amount if self.paid_pct == 100 else self.amount * self.paid_pct // 100


# Skewed amount multipliers (many small documents, a few large ones). Plain float products of
# ``Random.random()`` values: no libm calls, so the same seed gives the same cents everywhere.
_MULTIPLIERS = (0.12, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0, 1.1, 1.3, 1.6, 2.0, 2.6, 3.5, 5.0)


def _paid_pct(rng: random.Random, age_days: int) -> int:
    """Older documents are mostly paid; recent ones mostly open (``age_days``: days past due)."""
    if age_days > 90:
        paid, partial = 0.965, 0.01  # the odd disputed or forgotten one stays open
    elif age_days > 30:
        paid, partial = 0.86, 0.06
    elif age_days > 0:
        paid, partial = 0.55, 0.12
    else:
        paid, partial = 0.18, 0.10
    roll = rng.random()
    if roll < paid:
        return 100
    if roll < paid + partial:
        return 20 + int(rng.random() * 61)
    return 0


def _documents(rng: random.Random, count: int, parties: int, mean: float, terms: tuple[int, ...], today: date,
               next_id, prefix: str, history_days: int) -> list[_Doc]:
    docs = []
    # A few parties account for most of the volume, as in real books (cumulative weights, bisect).
    cumulative, total = [], 0.0
    for n in range(parties):
        total += 1.0 / (1 + n) ** 0.8
        cumulative.append(total)
    days = [today - timedelta(days=d) for d in range(0, history_days + 1)]
    mean_cents = mean * 100
    rand = rng.random
    n_terms, n_multipliers = len(terms), len(_MULTIPLIERS)
    for n in range(count):
        back = int(rand() * (history_days + 1))
        txn = days[back]
        term = terms[int(rand() * n_terms)]
        due = txn + timedelta(days=term)
        pct = _paid_pct(rng, back - term)
        pay_date = None
        if pct:
            latest = min(back, max(0, back - term - 25))  # days back: paid at most 25 days after due
            earliest = max(back - 1, latest) if back > 0 else 0
            pay_date = days[latest + int(rand() * (earliest - latest + 1))]
        multiplier = _MULTIPLIERS[int(rand() * n_multipliers)]
        amount = max(1200, int(mean_cents * multiplier * (0.7 + 0.6 * rand())) + int(rand() * 100))
        party = min(bisect.bisect_left(cumulative, rand() * total), parties - 1)
        docs.append(_Doc(next_id(), party, txn, due, amount, pct, pay_date, f"{prefix}{1001 + n}"))
    return docs


def _dollars(cents: int) -> Decimal:
    return Decimal(cents).scaleb(-2)


class _Clock:
    """QBO ``LastUpdatedTime`` strings (Pacific offset, as QBO sends them), cheap to make by the thousand:
    times of day come from a fixed pool drawn once from the seeded generator."""

    def __init__(self, rng: random.Random) -> None:
        self._times = []
        for _ in range(4096):
            second = 7 * 3600 + int(rng.random() * 12 * 3600)
            self._times.append(f"T{second // 3600:02d}:{second // 60 % 60:02d}:{second % 60:02d}")
        self._days: dict[date, str] = {}
        self._next = 0

    def at(self, day: date) -> str:
        suffix = self._days.get(day)
        if suffix is None:
            suffix = self._days[day] = "-07:00" if 3 <= day.month <= 10 else "-08:00"
        self._next = (self._next + 1) & 4095
        return day.isoformat() + self._times[self._next] + suffix


@dataclass
class _Books:
    business: BusinessRecord
    profile: Profile
    records: list[Any]
    summary: SeededBusiness


def _build_business(rng: random.Random, business: BusinessRecord, profile: Profile, today: date,
                    now: datetime) -> _Books:
    window_start = today - timedelta(days=WINDOW_DAYS - 1)
    counter = iter(range(1, 100_000_000))
    clock = _Clock(rng)

    def next_id() -> str:
        return str(next(counter))

    bid = business.id

    vendor_names = _unique_names(rng, profile.vendors, profile.vendor_names, _vendor_name)
    customer_names = _unique_names(rng, profile.customers, (),
                                   _person_name if profile.customer_kind == "person" else _business_customer_name)
    vendor_ids = [next_id() for _ in vendor_names]
    customer_ids = [next_id() for _ in customer_names]
    checking, savings, card, ap_account, ar_account = (next_id() for _ in range(5))

    invoices = _documents(rng, profile.invoices, len(customer_names), profile.invoice_mean, profile.terms, today,
                          next_id, "", profile.history_days)
    bills = _documents(rng, profile.bills, len(vendor_names), profile.bill_mean, (15, 30, 30, 45, 60), today,
                       next_id, "V-", profile.history_days)

    def in_window(doc: _Doc) -> bool:
        return doc.pay_date is not None and window_start <= doc.pay_date

    # Receipts in the window are what the business took in; open AR is what its customers still owe.
    received = sum(d.paid for d in invoices if in_window(d))
    open_ar = sum(d.amount - d.paid for d in invoices)

    # Scale the bills in two groups. Open and partly paid bills: so that open AP equals open AR, which makes
    # the net position (cash + AR - AP) equal to the cash and both readings of runway (net position or cash
    # over net burn) agree. Fully paid bills: so that bill payments in the window come to the receipts plus
    # the net burn. Then the cash is the target number of days of that burn.
    target = profile.target_days
    unpaid = [d for d in bills if d.paid_pct < 100]
    settled = [d for d in bills if d.paid_pct == 100]
    open_weight = sum(d.amount - d.paid for d in unpaid) or 1
    for doc in unpaid:
        doc.amount = max(500, doc.amount * open_ar // open_weight)
    paid_by_unpaid = sum(d.paid for d in unpaid if in_window(d))
    settled_weight = sum(d.amount for d in settled if in_window(d)) or 1
    burn = max(Decimal(received) * profile.burn_ratio / WINDOW_DAYS, MIN_CASH * 100 / target)
    # Keep the fully paid bills at least a fifth of their drawn size, however the partial payments fell.
    burn = max(burn, Decimal(paid_by_unpaid + settled_weight // 5 - received) / WINDOW_DAYS)
    settled_goal = int(received + WINDOW_DAYS * burn) - paid_by_unpaid
    for doc in settled:
        doc.amount = max(500, doc.amount * settled_goal // settled_weight)

    paid = sum(d.paid for d in bills if in_window(d))
    open_ap = sum(d.amount - d.paid for d in bills)
    burn_per_day = Decimal(paid - received) / WINDOW_DAYS
    cash = int(target * burn_per_day) - open_ar + open_ap
    savings_balance = cash // 5
    runway = (Decimal(cash + open_ar - open_ap) / burn_per_day).quantize(Decimal("0.1")) if burn_per_day > 0 \
        else None

    records: list[Any] = []
    vendor_open = [0] * len(vendor_ids)
    customer_open = [0] * len(customer_ids)

    # Bills and their payments (one payment per paid or partly paid bill, mostly from the checking account).
    bill_payment_count = 0
    for doc in bills:
        part = doc.paid
        balance = doc.amount - part
        vendor_open[doc.party] += balance
        records.append(BillRecord(
            business_id=bid, qbo_id=doc.qbo_id, sync_token="0" if part == 0 else "1",
            vendor_qbo_id=vendor_ids[doc.party], txn_date=doc.txn_date, due_date=doc.due_date,
            total_amount=_dollars(doc.amount), balance=_dollars(balance), doc_number=doc.doc_number,
            qbo_updated_at=clock.at(doc.pay_date or doc.txn_date)))
        if part:
            assert doc.pay_date is not None
            bill_payment_count += 1
            amount = _dollars(part)
            records.append(BillPaymentRecord(
                business_id=bid, qbo_id=next_id(), sync_token="0", vendor_qbo_id=vendor_ids[doc.party],
                txn_date=doc.pay_date, total_amount=amount, status=BillPaymentStatus.COMPLETED,
                pay_type="Check" if rng.random() < 0.7 else "CreditCard", bank_account_qbo_id=checking,
                lines=(PaymentLine(doc.qbo_id, amount),), qbo_updated_at=clock.at(doc.pay_date)))
    # A couple of voided payments (amount zero in QBO) so status filters have something to filter.
    for n in range(2):
        day = today - timedelta(days=10 + 17 * n)
        bill_payment_count += 1
        records.append(BillPaymentRecord(
            business_id=bid, qbo_id=next_id(), sync_token="2", vendor_qbo_id=vendor_ids[n % len(vendor_ids)],
            txn_date=day, total_amount=ZERO, status=BillPaymentStatus.VOIDED, bank_account_qbo_id=checking,
            qbo_updated_at=clock.at(day)))

    customer_emails = [_email(name, "example.com") for name in customer_names]
    customer_payment_count = 0
    for doc in invoices:
        part = doc.paid
        balance = doc.amount - part
        customer_open[doc.party] += balance
        sent = rng.random() < 0.85
        records.append(InvoiceRecord(
            business_id=bid, qbo_id=doc.qbo_id, sync_token="0" if part == 0 else "1",
            customer_qbo_id=customer_ids[doc.party], txn_date=doc.txn_date, due_date=doc.due_date,
            total_amount=_dollars(doc.amount), balance=_dollars(balance), doc_number=doc.doc_number,
            email_status="EmailSent" if sent else "NotSet", bill_email=customer_emails[doc.party],
            qbo_updated_at=clock.at(doc.pay_date or doc.txn_date)))
        if part:
            assert doc.pay_date is not None
            customer_payment_count += 1
            amount = _dollars(part)
            records.append(CustomerPaymentRecord(
                business_id=bid, qbo_id=next_id(), sync_token="0", customer_qbo_id=customer_ids[doc.party],
                txn_date=doc.pay_date, total_amount=amount, lines=(PaymentLine(doc.qbo_id, amount),),
                qbo_updated_at=clock.at(doc.pay_date)))

    for n, (qbo_id, name) in enumerate(zip(vendor_ids, vendor_names, strict=True)):
        records.append(VendorRecord(
            business_id=bid, qbo_id=qbo_id, sync_token=str(rng.randint(0, 3)), display_name=name,
            company_name=name, active=vendor_open[n] > 0 or n < len(vendor_ids) - 1,
            balance=_dollars(vendor_open[n]), email=_email(name.split()[0], "vendor.example.com"),
            phone=f"(415) 555-{1000 + n % 9000:04d}",
            qbo_updated_at=clock.at(today - timedelta(days=rng.randint(0, 200)))))
    for n, (qbo_id, name) in enumerate(zip(customer_ids, customer_names, strict=True)):
        records.append(CustomerRecord(
            business_id=bid, qbo_id=qbo_id, sync_token=str(rng.randint(0, 3)), display_name=name,
            company_name=None if profile.customer_kind == "person" else name, balance=_dollars(customer_open[n]),
            email=customer_emails[n], phone=f"(510) 555-{2000 + n % 8000:04d}",
            qbo_updated_at=clock.at(today - timedelta(days=rng.randint(0, 200)))))

    updated = clock.at(today)
    accounts = [
        AccountRecord(bid, checking, "14", "Business Checking", "Bank", "Checking",
                      _dollars(cash - savings_balance), qbo_updated_at=updated),
        AccountRecord(bid, savings, "6", "Business Savings", "Bank", "Savings", _dollars(savings_balance),
                      qbo_updated_at=updated),
        AccountRecord(bid, card, "9", "Business Credit Card", "Credit Card", "CreditCard",
                      _dollars(rng.randint(40_000, 600_000)), qbo_updated_at=updated),
        AccountRecord(bid, ap_account, "3", "Accounts Payable (A/P)", "Accounts Payable", "AccountsPayable",
                      _dollars(open_ap), qbo_updated_at=updated),
        AccountRecord(bid, ar_account, "3", "Accounts Receivable (A/R)", "Accounts Receivable",
                      "AccountsReceivable", _dollars(open_ar), qbo_updated_at=updated),
    ]
    records.extend(accounts)

    synced_at = now - timedelta(days=profile.stale_days)
    records.extend(SyncStateRecord(business_id=bid, entity=entity, cursor=synced_at.isoformat(),
                                   last_success_at=synced_at, last_attempt_at=synced_at)
                   for entity in Entity)

    summary = SeededBusiness(
        business=business, industry=profile.industry, target_status=profile.status, vendors=len(vendor_ids),
        customers=len(customer_ids), accounts=len(accounts), bills=len(bills), invoices=len(invoices),
        bill_payments=bill_payment_count, customer_payments=customer_payment_count, cash=_dollars(cash),
        open_ar=_dollars(open_ar), open_ap=_dollars(open_ap), paid_in_window=_dollars(paid),
        received_in_window=_dollars(received), runway_days=runway, last_synced_at=synced_at)
    return _Books(business, profile, records, summary)


def _realm_id(seed: int, kind: int, index: int) -> str:
    return f"93{kind}{seed % 10_000:04d}{index:08d}"


def _seed(session_factory: sessionmaker[Session], profiles: list[Profile], *, seed: int, today: date,
          now: datetime, kind: int) -> SeedSummary:
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    writer = MirrorWriter(session_factory)
    firm = writer.create_firm(FIRM_NAME if kind == 1 else f"{FIRM_NAME} (benchmark)")
    seeded = []
    for index, profile in enumerate(profiles):
        business = writer.create_business(firm.id, profile.name, _realm_id(seed, kind, index + 1))
        rng = random.Random(f"runway-seed:{seed}:{kind}:{index}")
        books = _build_business(rng, business, profile, today, now.astimezone(UTC))
        writer.bulk_insert(books.records)
        seeded.append(books.summary)
    return SeedSummary(firm=firm, businesses=tuple(seeded), seed=seed, today=today, now=now,
                       window=(today - timedelta(days=WINDOW_DAYS - 1), today))


_SCALES = {"demo": 1.0, "small": 0.1}


def seed_demo_portfolio(session_factory: sessionmaker[Session], *, seed: int = 7, today: date, now: datetime,
                        scale: str = "demo") -> SeedSummary:
    """Write the demo firm "Harbor & Pine Advisors" and its six clients (see the module docstring).

    ``scale="demo"`` writes ~17,000 documents and payments; ``"small"`` a tenth of the documents (same
    businesses and runway bands; for fast tests). ``now`` (timezone-aware) is when the sync state says the
    data was synced; the brewery's is three days older.
    """
    if scale not in _SCALES:
        raise ValueError(f"scale must be one of {sorted(_SCALES)}, not {scale!r}")
    factor = _SCALES[scale]
    profiles = [p if factor == 1.0 else _scaled(p, factor) for p in DEMO_PROFILES]
    return _seed(session_factory, profiles, seed=seed, today=today, now=now, kind=1)


def _scaled(profile: Profile, factor: float) -> Profile:
    return replace(profile, bills=max(40, int(profile.bills * factor)),
                   invoices=max(40, int(profile.invoices * factor)),
                   vendors=max(12, int(profile.vendors * factor * 3)),
                   customers=max(12, int(profile.customers * factor * 3)))


def seed_benchmark_portfolio(session_factory: sessionmaker[Session], *, businesses: int = 100,
                             largest_bills: int = 50_000, largest_invoices: int = 50_000, seed: int = 7,
                             today: date, now: datetime) -> SeedSummary:
    """The benchmark portfolio: ``businesses`` clients of one firm; the first has ``largest_bills`` bills and
    ``largest_invoices`` invoices, the others a few hundred to ~2,000 documents each. Runway bands cycle
    through the demo profiles. Loads in well under a minute on SQLite."""
    pick = random.Random(f"runway-benchmark:{seed}")
    profiles = []
    for index in range(businesses):
        base = DEMO_PROFILES[index % len(DEMO_PROFILES)]
        if index == 0:
            profile = replace(base, name="Client 001 (largest)", vendors=400, customers=1000,
                              bills=largest_bills, invoices=largest_invoices, stale_days=0, history_days=3 * 365)
        else:
            profile = replace(base, name=f"Client {index + 1:03d} {base.industry.title()}",
                              vendors=pick.randint(15, 60), customers=pick.randint(20, 150),
                              bills=pick.randint(150, 1000), invoices=pick.randint(150, 1000),
                              stale_days=3 if index % 10 == 5 else 0, history_days=365)
        profiles.append(profile)
    return _seed(session_factory, profiles, seed=seed, today=today, now=now, kind=2)
