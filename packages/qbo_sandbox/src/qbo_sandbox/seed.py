"""Deterministic, realistic small-business data for one sandbox company.

``seed_company(realm_id, seed, size)`` builds a ``RealmStore`` holding about ``size`` entities:
a chart of accounts (three bank accounts, one of them inactive, a credit card, A/P, A/R, Undeposited
Funds, income and expense accounts), payment terms, the items invoices sell, the company's preferences,
vendors and customers (a few inactive), bills due from ~120 days ago to ~60 days ahead and invoices
likewise, each paid, partly paid or open, with the BillPayments and Payments that paid them linked both
ways. Computed balances agree with the documents: a vendor's Balance is the sum of its open bills, A/P
and A/R match the open documents.

Company profiles (``COMPANY_PROFILES``) give companies different money: how much they spend against what
they sell, how reliably customers pay (so how much receivable is overdue) and how much cash they hold.
A profile with a ``runway_days`` target sets the bank balances so that

    (cash in active bank accounts + open A/R - open A/P) / ((bill payments - customer payments) / 90)

over the 90 days up to the company's today comes out at that many days: the cash runway an advisor would
read from the books. ``thriving`` (the default of ``seed_company``) leaves cash as drawn and generates
exactly what the generator always did, so seeded data other tests rely on does not move.

Determinism: the same (realm_id, seed, size, as_of, utc_offset, company_name, profile) gives byte-identical
data. Randomness comes only from ``random.Random`` seeded with a string (stable across processes,
unaffected by PYTHONHASHSEED) and nothing iterates a set. ``as_of`` is the instant the data is
"generated at": every seeded timestamp is at or before it. Left to default it is the start of the
clock's current UTC day, so data is stable within a day.

Speed: about 1 s for 50,000 entities; rows share their constant nested objects (refs, currency),
which is safe because stored rows are never mutated in place (see ``store.py``).
"""

from __future__ import annotations

import gc
import random
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, timezone
from decimal import Decimal

from .clock import Clock, SystemClock, parse_offset, qbo_timestamp
from .encoding import cents
from .rules import ZERO
from .store import RealmStore

_ADJECTIVES = ("Summit", "Harbor", "Bluebird", "Cedar", "Granite", "Northwind", "Silver", "Redwood", "Maple",
               "Pioneer", "Evergreen", "Lakeside", "Iron", "Golden", "Coastal", "Prairie", "Sterling", "Oak",
               "Riverbend", "Highland", "Copper", "Beacon", "Falcon", "Willow", "Aspen", "Canyon", "Meridian",
               "Orchard", "Atlas", "Keystone")
_NOUNS = ("Ridge", "Valley", "Peak", "Point", "Creek", "Bay", "Stone", "Field", "Bridge", "Crest", "Grove", "Hill",
          "Rock", "Park", "Lane", "Works", "Line", "Gate", "Spring", "Mill")
_VENDOR_TRADES = ("Office Supply", "Logistics", "Electric", "Plumbing", "Printing", "Software", "Consulting",
                  "Insurance", "Properties", "Wholesale", "Foods", "Utilities", "Staffing", "Marketing", "Design",
                  "Hardware", "Telecom", "Freight", "Cleaning Services", "IT Services")
_CUSTOMER_TRADES = ("Dental", "Architects", "Bakery", "Fitness", "Realty", "Veterinary Clinic", "Landscaping",
                    "Law Group", "Brewing", "Coffee Roasters", "Pediatrics", "Auto Repair", "Salon", "Academy",
                    "Builders", "Outfitters", "Studios", "Cafe", "Florist", "Animal Hospital")
_LEGAL = ("", "", "", " LLC", " Inc.", " Co.")
_FIRST = ("Amelia", "Noah", "Olivia", "Liam", "Ava", "Ethan", "Sophia", "Mason", "Isabella", "Lucas", "Mia",
          "Logan", "Harper", "James", "Evelyn", "Benjamin", "Abigail", "Elijah", "Emily", "Henry", "Grace", "Owen",
          "Chloe", "Jack", "Nora", "Leo", "Zoe", "Daniel", "Lily", "Samuel")
_LAST = ("Carter", "Nguyen", "Patel", "Garcia", "Johnson", "Kim", "Rivera", "Brooks", "Chen", "Murphy", "Lopez",
         "Foster", "Reyes", "Bennett", "Shah", "Hughes", "Ortiz", "Price", "Sullivan", "Ward", "Kelly", "Russo",
         "Diaz", "Coleman", "Park", "Hayes", "Flores", "Jenkins", "Wallace", "Ramos")
_CITIES = (("San Francisco", "CA", "941"), ("Oakland", "CA", "946"), ("Portland", "OR", "972"),
           ("Seattle", "WA", "981"), ("Denver", "CO", "802"), ("Austin", "TX", "787"), ("Chicago", "IL", "606"),
           ("Boston", "MA", "021"), ("Atlanta", "GA", "303"), ("Phoenix", "AZ", "850"))
_STREETS = ("Main St", "Oak Ave", "Market St", "2nd St", "Pine St", "Broadway", "Elm St", "Lake Dr", "Mission St",
            "Cedar Ln")
_TERMS = ((0, {"value": "1", "name": "Due on receipt"}), (15, {"value": "2", "name": "Net 15"}),
          (30, {"value": "3", "name": "Net 30"}), (30, {"value": "3", "name": "Net 30"}),
          (45, {"value": "4", "name": "Net 45"}))
_USD = {"value": "USD", "name": "United States Dollar"}
_ITEMS = ({"value": "1", "name": "Services"}, {"value": "2", "name": "Hours"}, {"value": "3", "name": "Consulting"},
          {"value": "4", "name": "Materials"})

# (name, type, subtype, active); balances are filled in after the documents exist.
_CHART = (
    ("Business Checking", "Bank", "Checking", True),
    ("Business Savings", "Bank", "Savings", True),
    ("Payroll Checking", "Bank", "Checking", True),
    ("Old Operating Account", "Bank", "Checking", False),
    ("Business Credit Card", "Credit Card", "CreditCard", True),
    ("Accounts Payable (A/P)", "Accounts Payable", "AccountsPayable", True),
    ("Accounts Receivable (A/R)", "Accounts Receivable", "AccountsReceivable", True),
    ("Undeposited Funds", "Other Current Asset", "UndepositedFunds", True),
    ("Sales", "Income", "SalesOfProductIncome", True),
    ("Services", "Income", "ServiceFeeIncome", True),
    ("Rent or Lease", "Expense", "RentOrLeaseOfBuildings", True),
    ("Utilities", "Expense", "Utilities", True),
    ("Office Supplies", "Expense", "SuppliesMaterials", True),
    ("Software & Subscriptions", "Expense", "OtherMiscellaneousServiceCost", True),
    ("Contractors", "Expense", "CostOfLabor", True),
    ("Advertising & Marketing", "Expense", "AdvertisingPromotional", True),
    ("Insurance", "Expense", "Insurance", True),
    ("Cost of Goods Sold", "Cost of Goods Sold", "SuppliesMaterialsCogs", True),
)
#: Payment terms every company has (Id, name, days); the ``_TERMS`` references above point at them.
_TERM_ROWS = ((1, "Due on receipt", 0), (2, "Net 15", 15), (3, "Net 30", 30), (4, "Net 45", 45),
              (5, "Net 60", 60))
#: Items invoice lines sell (``_ITEMS``): (Id, name, type, income account, expense account, unit price).
_ITEM_ROWS = ((1, "Services", "Service", "Services", None, "0"),
              (2, "Hours", "Service", "Services", None, "95.00"),
              (3, "Consulting", "Service", "Services", None, "150.00"),
              (4, "Materials", "NonInventory", "Sales", "Cost of Goods Sold", "0"))
_DEFAULT_TERMS = {"value": "3", "name": "Net 30"}
#: Tax codes every company has, as a US company with sales tax set up holds them (tax groups of one or more
#: rates; the line-level pseudo codes TAX and NON are not TaxCode objects): (Id, name, active, rates), a rate
#: being (TaxRate Id, its name).
_TAX_CODE_ROWS = ((1, "California", True, ((1, "California"),)),
                  (2, "Tucson", True, ((2, "AZ State tax"), (3, "Tucson City"))),
                  (3, "Old County", False, ((4, "Old County"),)))

_CLASSIFICATION = {"Bank": "Asset", "Credit Card": "Liability", "Accounts Payable": "Liability",
                   "Accounts Receivable": "Asset", "Other Current Asset": "Asset", "Income": "Revenue",
                   "Expense": "Expense", "Cost of Goods Sold": "Expense"}


@dataclass(frozen=True)
class CompanyProfile:
    """How a generated company's money behaves.

    bill_scale:    every bill amount is multiplied by it (what the company spends against what it sells).
    collection:    the chance that a customer pays an invoice (in full or in part) is multiplied by it, so a
                   low value leaves more receivable open and overdue.
    runway_days:   the runway the company's cash is set to give (see the module docstring); None keeps the
                   bank balances as drawn. When the company does not burn cash over the window the target
                   cannot apply and the drawn balances stay.
    """

    name: str
    description: str
    bill_scale: float = 1.0
    collection: float = 1.0
    runway_days: float | None = None


COMPANY_PROFILES: dict[str, CompanyProfile] = {profile.name: profile for profile in (
    CompanyProfile("thriving", "sells more than it spends, customers pay, plenty of cash"),
    CompanyProfile("cash-strapped", "spends far beyond its sales, slow payers, days of cash left",
                   bill_scale=1.8, collection=0.8, runway_days=4),
    CompanyProfile("stretched", "spends well beyond what it collects, a few weeks of cash",
                   bill_scale=1.5, collection=0.85, runway_days=18),
    CompanyProfile("steady", "spends a little more than it collects, a couple of months of cash",
                   bill_scale=1.3, collection=0.95, runway_days=55),
)}
#: The profile of each realm by position, in turn, unless ``SandboxConfig.company_profiles`` says otherwise:
#: any four realms in a row cover all four.
DEFAULT_PROFILE_ORDER: tuple[str, ...] = ("thriving", "cash-strapped", "stretched", "steady")
#: Days of payments the runway target is computed over (today included).
RUNWAY_WINDOW_DAYS = 90
#: Below this the target gives way: a company keeps at least this much cash (in cents).
_MINIMUM_CASH = 150_000


def profile_for(index: int, name: str | None = None) -> CompanyProfile:
    """The profile called ``name``, or the default for the realm at ``index``; ValueError if unknown."""
    name = name or DEFAULT_PROFILE_ORDER[index % len(DEFAULT_PROFILE_ORDER)]
    try:
        return COMPANY_PROFILES[name]
    except KeyError:
        raise ValueError(f"unknown company profile {name!r}; known: {', '.join(COMPANY_PROFILES)}") from None


def seed_company(
    realm_id: str,
    seed: int,
    size: int,
    *,
    company_name: str | None = None,
    utc_offset: str = "-08:00",
    as_of: datetime | None = None,
    clock: Clock | None = None,
    profile: CompanyProfile | str = "thriving",
) -> RealmStore:
    """Build a new ``RealmStore`` with about ``size`` seeded entities (see the module docstring)."""
    clock = clock or SystemClock()
    if as_of is None:
        now = clock.now().astimezone(UTC)
        as_of = datetime.combine(now.date(), time(0), tzinfo=UTC)
    if isinstance(profile, str):
        profile = profile_for(0, profile)
    generator = _Generator(realm_id, seed, size, parse_offset(utc_offset), as_of, company_name, profile)
    store = RealmStore(realm_id, company_name=generator.company_name, utc_offset=utc_offset, clock=clock)
    store.profile = profile.name
    # Building hundreds of thousands of small dicts makes the cyclic garbage collector rescan the growing
    # heap again and again (over half the run time at 50k); none of them form cycles, so pause it.
    collecting = gc.isenabled()
    gc.disable()
    try:
        for entity, rows in generator.build().items():
            store.load(entity, rows)
    finally:
        if collecting:
            gc.enable()
    return store


@dataclass
class _Doc:
    """A bill or invoice being planned; ids and payments are attached before rows are built."""

    party: int  # index into the vendor/customer list
    txn_date: date
    due_date: date
    terms: dict
    amounts: list[int]  # line amounts in cents
    total: int  # cents
    created: int  # local seconds (see _Generator._stamp)
    payments: list[tuple[int, date, int]] = field(default_factory=list)  # (cents, date, created)
    edited: int | None = None
    entity_id: str = ""

    @property
    def balance(self) -> int:
        return self.total - sum(amount for amount, _, _ in self.payments) if self.payments else self.total


class _Generator:
    def __init__(self, realm_id: str, seed: int, size: int, tz: timezone, as_of: datetime,
                 company_name: str | None, profile: CompanyProfile) -> None:
        self.profile = profile
        self.rng = random.Random(f"qbo-sandbox:{seed}:{realm_id}")
        self._random = self.rng.random
        self.offset_text = qbo_timestamp(as_of, tz)[19:]  # "-08:00"
        local = as_of.astimezone(tz)
        self.today = local.date()
        # Instants are handled as integer seconds of company-local time (one fixed offset per realm, so
        # their order is the order of the instants); formatting them by hand is ~10x faster than datetime.
        self.as_of_s = local.toordinal() * 86400 + local.hour * 3600 + local.minute * 60 + local.second
        self._day_text: dict[int, str] = {}
        self.size = max(0, size)
        self.used_names: set[str] = set()
        self.company_name = company_name or self._company_name()

    # ----------------------------------------------------------------------------------- utilities

    def _company_name(self) -> str:
        return f"{self._pick(_ADJECTIVES)} {self._pick(_NOUNS)} {self._pick(_CUSTOMER_TRADES)}"

    def _int(self, low: int, high: int) -> int:
        """Uniform integer in [low, high]; ``Random.randint`` is several times slower."""
        return low + int(self._random() * (high - low + 1))

    def _pick(self, options: tuple | list):
        return options[int(self._random() * len(options))]

    def _stamp(self, seconds: int) -> str:
        """Local seconds -> ``2026-11-20T09:15:02-08:00``."""
        day, rest = divmod(seconds, 86400)
        text = self._day_text.get(day)
        if text is None:
            text = self._day_text[day] = date.fromordinal(day).isoformat()
        hours, rest = divmod(rest, 3600)
        minutes, secs = divmod(rest, 60)
        return f"{text}T{hours:02d}:{minutes:02d}:{secs:02d}{self.offset_text}"

    def _moment(self, day: date) -> int:
        """A business-hours instant on ``day`` (local seconds), never later than a minute before ``as_of``."""
        seconds = day.toordinal() * 86400 + self._int(8 * 3600, 18 * 3600 - 1)
        return min(seconds, self.as_of_s - 60)

    def _unique(self, candidate: str) -> str:
        name, counter = candidate, 2
        while name.lower() in self.used_names:
            name = f"{candidate} {counter}"
            counter += 1
        self.used_names.add(name.lower())
        return name

    def _address(self) -> dict:
        city, state, zip_prefix = self._pick(_CITIES)
        return {"Line1": f"{self._int(10, 9999)} {self._pick(_STREETS)}", "City": city,
                "CountrySubDivisionCode": state, "PostalCode": f"{zip_prefix}{self._int(0, 99):02d}",
                "Country": "USA"}

    def _phone(self) -> dict:
        return {"FreeFormNumber": f"({self._int(201, 989)}) 555-{self._int(100, 9999):04d}"}

    @staticmethod
    def _slug(name: str) -> str:
        return re.sub(r"[^a-z0-9]", "", name.lower())[:40] or "company"

    @staticmethod
    def _meta(created: str, updated: str) -> dict:
        return {"CreateTime": created, "LastUpdatedTime": updated}

    # -------------------------------------------------------------------------------------- build

    def build(self) -> dict[str, list[dict]]:
        remaining = max(0, self.size - len(_CHART) - 1)
        n_vendors = max(3, round(remaining * 0.04))
        n_customers = max(3, round(remaining * 0.05))
        documents = max(0, remaining - n_vendors - n_customers) / 1.62  # ~0.62 payments per document
        n_bills = round(documents * 0.55)
        n_invoices = round(documents) - n_bills

        self.company_start = self.today - timedelta(days=self._int(3 * 365, 8 * 365))
        vendors = [self._party_plan("Vendor") for _ in range(n_vendors)]
        customers = [self._party_plan("Customer") for _ in range(n_customers)]
        bills = self._plan_documents(n_bills, vendors, amount_scale=self.profile.bill_scale)
        invoices = self._plan_documents(n_invoices, customers, collection=self.profile.collection)

        accounts = self._accounts()
        account_ids = {row["Name"]: row["Id"] for row in accounts}
        bill_rows, bill_payment_rows, card_spend = self._bills(bills, vendors, accounts, account_ids)
        invoice_rows, payment_rows, undeposited = self._invoices(invoices, customers, account_ids)

        vendor_rows = self._party_rows("Vendor", vendors, bills)
        customer_rows = self._party_rows("Customer", customers, invoices)
        self._set_balances(accounts, bills, invoices, card_spend, undeposited)
        return {
            "CompanyInfo": [self._company_info()],
            "Preferences": [self._preferences()],
            "Term": self._terms(),
            "Item": self._items(account_ids),
            "TaxCode": self._tax_codes(),
            "Account": accounts,
            "Vendor": vendor_rows,
            "Customer": customer_rows,
            "Bill": bill_rows,
            "BillPayment": bill_payment_rows,
            "Invoice": invoice_rows,
            "Payment": payment_rows,
        }

    def _company_info(self) -> dict:
        slug = self._slug(self.company_name)
        created = self._stamp(self._moment(self.company_start))
        address = self._address()
        return {
            "CompanyName": self.company_name, "LegalName": f"{self.company_name} LLC", "CompanyAddr": address,
            "LegalAddr": address, "CustomerCommunicationAddr": address, "Country": "US",
            "Email": {"Address": f"owner@{slug}.com"}, "WebAddr": {"URI": f"https://www.{slug}.com"},
            "PrimaryPhone": self._phone(), "FiscalYearStartMonth": "January",
            "CompanyStartDate": self.company_start.isoformat(), "SupportedLanguages": "en",
            "NameValue": [{"Name": "NeoEnabled", "Value": "true"},
                          {"Name": "OfferingSku", "Value": "QuickBooks Online Plus"}],
            "domain": "QBO", "sparse": False, "Id": "1", "SyncToken": "0", "MetaData": self._meta(created, created),
        }

    def _fixed_stamp(self) -> str:
        """When the company's lists were set up: the start day at 09:00 (no random draw, so adding these
        rows leaves every other generated value as it was)."""
        return self._stamp(self.company_start.toordinal() * 86400 + 9 * 3600)

    def _system(self, entity_id: str) -> dict:
        stamp = self._fixed_stamp()
        return {"domain": "QBO", "sparse": False, "Id": entity_id, "SyncToken": "0",
                "MetaData": self._meta(stamp, stamp)}

    def _terms(self) -> list[dict]:
        return [{"Name": name, "Active": True, "Type": "STANDARD", "DueDays": days, "DiscountPercent": 0,
                 "DiscountDays": 0, **self._system(str(term_id))} for term_id, name, days in _TERM_ROWS]

    def _tax_codes(self) -> list[dict]:
        rows = []
        for code_id, name, active, rates in _TAX_CODE_ROWS:
            details = [{"TaxRateRef": {"value": str(rate_id), "name": rate_name}, "TaxTypeApplicable": "TaxOnAmount",
                        "TaxOrder": order} for order, (rate_id, rate_name) in enumerate(rates)]
            rows.append({"Name": name, "Description": f"{name} sales tax", "Active": active, "Hidden": False,
                         "Taxable": True, "TaxGroup": True, "SalesTaxRateList": {"TaxRateDetail": details},
                         "PurchaseTaxRateList": {"TaxRateDetail": []}, "TaxCodeConfigType": "USER_DEFINED",
                         **self._system(str(code_id))})
        return rows

    def _items(self, account_ids: dict[str, str]) -> list[dict]:
        rows = []
        for item_id, name, item_type, income, expense, price in _ITEM_ROWS:
            row = {"Name": name, "Description": f"{name} provided by {self.company_name}", "Active": True,
                   "FullyQualifiedName": name, "Taxable": False, "UnitPrice": Decimal(price), "Type": item_type,
                   "IncomeAccountRef": {"value": account_ids[income], "name": income}}
            if expense is not None:
                row["ExpenseAccountRef"] = {"value": account_ids[expense], "name": expense}
            row.update(TrackQtyOnHand=False, **self._system(str(item_id)))
            rows.append(row)
        return rows

    def _preferences(self) -> dict:
        return {
            "AccountingInfoPrefs": {"FirstMonthOfFiscalYear": "January", "TaxYearMonth": "January",
                                    "UseAccountNumbers": False, "TrackDepartments": False,
                                    "ClassTrackingPerTxn": False, "ClassTrackingPerTxnLine": False,
                                    "CustomerTerminology": "Customers"},
            "ProductAndServicesPrefs": {"ForSales": True, "ForPurchase": True, "QuantityOnHand": False,
                                        "QuantityWithPriceAndRate": True},
            "SalesFormsPrefs": {"AllowDeposit": True, "AllowDiscount": True, "AllowEstimates": True,
                                "AllowServiceDate": False, "AllowShipping": False, "CustomTxnNumbers": False,
                                "DefaultTerms": dict(_DEFAULT_TERMS), "ETransactionEnabledStatus": "NotApplicable",
                                "ETransactionAttachPDF": False, "ETransactionPaymentEnabled": False,
                                "IPNSupportEnabled": False, "UsingPriceLevels": False, "UsingProgressInvoicing": False,
                                "AutoApplyCredit": True, "AutoApplyPayments": True,
                                "DefaultCustomerMessage": "Thank you for your business!"},
            "EmailMessagesPrefs": {"InvoiceMessage": {
                "Subject": f"Invoice from {self.company_name}",
                "Message": f"Your invoice is attached. Thank you for your business.\n\n{self.company_name}"}},
            "VendorAndPurchasesPrefs": {"BillableExpenseTracking": False, "TrackingByCustomer": False,
                                        "DefaultTerms": dict(_DEFAULT_TERMS)},
            "TimeTrackingPrefs": {"UseServices": True, "BillCustomers": False, "ShowBillRateToAll": False,
                                  "WorkWeekStartDate": "Monday", "MarkTimeEntriesBillable": False},
            "TaxPrefs": {"UsingSalesTax": False},
            "CurrencyPrefs": {"MultiCurrencyEnabled": False, "HomeCurrency": {"value": "USD"}},
            "ReportPrefs": {"ReportBasis": "Accrual", "CalcAgingReportFromTxnDate": False},
            "OtherPrefs": {"NameValue": [{"Name": "SalesFormsPrefs.DefaultItem", "Value": "1"}]},
            **self._system("1"),
        }

    def _accounts(self) -> list[dict]:
        created = self._stamp(self._moment(self.company_start))
        rows = []
        for index, (name, account_type, subtype, active) in enumerate(_CHART, start=1):
            rows.append({
                "Name": name, "SubAccount": False, "FullyQualifiedName": name, "Active": active,
                "Classification": _CLASSIFICATION[account_type], "AccountType": account_type,
                "AccountSubType": subtype, "CurrentBalance": ZERO, "CurrentBalanceWithSubAccounts": ZERO,
                "CurrencyRef": _USD, "domain": "QBO", "sparse": False, "Id": str(index), "SyncToken": "0",
                "MetaData": self._meta(created, created),
            })
        return rows

    def _party_plan(self, entity: str) -> dict:
        person = entity == "Customer" and self._random() < 0.4
        if person:
            given, family = self._pick(_FIRST), self._pick(_LAST)
            name = self._unique(f"{given} {family}")
            email = f"{given.lower()}.{family.lower()}@example.com"
        else:
            trade = self._pick(_VENDOR_TRADES if entity == "Vendor" else _CUSTOMER_TRADES)
            base = f"{self._pick(_ADJECTIVES)} {self._pick(_NOUNS)} {trade}"
            name = self._unique(base + self._pick(_LEGAL))
            given = family = None
            email = f"{'billing' if entity == 'Vendor' else 'ap'}@{self._slug(base)}.com"
        history_days = max(1, (self.today - self.company_start).days - 150)
        created_day = self.company_start + timedelta(days=self._int(0, history_days))
        return {"name": name, "person": person, "given": given, "family": family, "email": email,
                "terms": self._pick(_TERMS), "created": self._moment(created_day),
                "inactive": self._random() < 0.08}

    def _plan_documents(self, count: int, parties: list[dict], *, amount_scale: float = 1.0,
                        collection: float = 1.0) -> list[_Doc]:
        rng, today = self.rng, self.today
        docs = []
        for _ in range(count):
            party = int(self._random() * len(parties))
            terms_days, terms = parties[party]["terms"]
            # An inactive party is dormant: its documents are old and settled, so it owes nothing.
            dormant = parties[party]["inactive"]
            due = today + timedelta(days=self._int(-120, -31 if dormant else 60))
            txn = min(due - timedelta(days=terms_days), today)
            # cents; median ~$660 (times the profile's scale: a scale of 1.0 changes nothing, not even rounding)
            total = max(2500, min(5_000_000, int(rng.lognormvariate(11.1, 1.0) * amount_scale)))
            n_lines = self._pick((1, 1, 2, 3))
            amounts = self._split(total, n_lines)
            doc = _Doc(party, txn, due, terms, amounts, total, self._moment(txn))
            overdue = (today - due).days
            paid_p, partial_p = (0.85, 0.07) if overdue > 30 else (0.55, 0.15) if overdue > 0 else (0.12, 0.10)
            paid_p, partial_p = paid_p * collection, partial_p * collection
            roll = 0.0 if dormant else self._random()
            if roll < paid_p + partial_p:
                latest = min(today, due + timedelta(days=15))
                span = max(0, (latest - txn).days)
                paid_on = txn + timedelta(days=self._int(0, span))
                partial = max(1, int(doc.total * (0.2 + 0.6 * self._random())))
                amount = doc.total if roll < paid_p else partial
                payment_created = min(max(self._moment(paid_on), doc.created + 300), self.as_of_s - 30)
                doc.payments.append((amount, paid_on, payment_created))
            if self._random() < 0.08:  # edited recently: something for CDC and incremental sync to find
                last = max([doc.created] + [created for _, _, created in doc.payments])
                edit = self.as_of_s - self._int(300, 25 * 86400)
                if edit > last:
                    doc.edited = edit
            docs.append(doc)
        docs.sort(key=lambda doc: doc.created)  # Ids grow with creation time, as in QBO
        for index, doc in enumerate(docs, start=1):
            doc.entity_id = str(index)
        return docs

    def _split(self, total: int, parts: int) -> list[int]:
        if parts == 1:
            return [total]
        cuts = sorted(self._int(1, total - 1) for _ in range(parts - 1))
        bounds = [0, *cuts, total]
        return [bounds[i + 1] - bounds[i] for i in range(parts)]

    def _bills(self, bills: list[_Doc], vendors: list[dict], accounts: list[dict],
               account_ids: dict[str, str]) -> tuple[list[dict], list[dict], int]:
        ap_ref = {"value": account_ids["Accounts Payable (A/P)"], "name": "Accounts Payable (A/P)"}
        banks = [{"value": account_ids[name], "name": name} for name in ("Business Checking", "Business Checking",
                                                                         "Business Savings")]
        card = {"value": account_ids["Business Credit Card"], "name": "Business Credit Card"}
        expenses = [{"value": row["Id"], "name": row["Name"]} for row in accounts
                    if row["AccountType"] in ("Expense", "Cost of Goods Sold")]
        vendor_refs = [{"value": str(i + 1), "name": vendor["name"]} for i, vendor in enumerate(vendors)]

        payments = sorted(((created, paid_on, amount, doc) for doc in bills
                           for amount, paid_on, created in doc.payments), key=lambda item: item[0])
        payment_rows, links, card_spend = [], {}, 0
        for number, (created, paid_on, amount, doc) in enumerate(payments, start=1):
            payment_id, stamp = str(number), self._stamp(created)
            row = {"VendorRef": vendor_refs[doc.party], "APAccountRef": ap_ref}
            if self._random() < 0.8:
                row["PayType"] = "Check"
                row["CheckPayment"] = {"BankAccountRef": self._pick(banks), "PrintStatus": "NotSet"}
                row["DocNumber"] = str(1000 + number)
                link_type = "BillPaymentCheck"
            else:
                row["PayType"] = "CreditCard"
                row["CreditCardPayment"] = {"CCAccountRef": card}
                link_type = "BillPaymentCreditCard"
                if (self.today - paid_on).days <= 30:
                    card_spend += amount
            paid = cents(amount)
            row.update({
                "TotalAmt": paid, "TxnDate": paid_on.isoformat(), "CurrencyRef": _USD,
                "Line": [{"Amount": paid, "LinkedTxn": [{"TxnId": doc.entity_id, "TxnType": "Bill"}]}],
                "domain": "QBO", "sparse": False, "Id": payment_id, "SyncToken": "0",
                "MetaData": self._meta(stamp, stamp),
            })
            payment_rows.append(row)
            links.setdefault(doc.entity_id, []).append({"TxnId": payment_id, "TxnType": link_type})

        rows = []
        for doc in bills:
            vendor = vendors[doc.party]
            total, balance = self._money(doc)
            lines = []
            for number, amount in enumerate(doc.amounts, start=1):
                account = self._pick(expenses)
                lines.append({"Id": str(number), "LineNum": number,
                              "Description": f"{account['name']} - {vendor['name']}",
                              "Amount": total if len(doc.amounts) == 1 else cents(amount),
                              "DetailType": "AccountBasedExpenseLineDetail",
                              "AccountBasedExpenseLineDetail": {"AccountRef": account,
                                                                "BillableStatus": "NotBillable"}})
            row = {
                "VendorRef": vendor_refs[doc.party], "APAccountRef": ap_ref, "SalesTermRef": doc.terms,
                "TxnDate": doc.txn_date.isoformat(), "DueDate": doc.due_date.isoformat(),
                "DocNumber": f"INV-{self._int(10000, 99999)}", "CurrencyRef": _USD, "Line": lines,
                "LinkedTxn": links.get(doc.entity_id, []), "TotalAmt": total, "Balance": balance,
            }
            if self._random() < 0.2:
                row["PrivateNote"] = self._pick(("Approved by owner", "Recurring monthly", "Check invoice copy",
                                                 "Paid via portal", "Disputed line 2"))
            row.update(self._doc_system_fields(doc))
            rows.append(row)
        return rows, payment_rows, card_spend

    def _invoices(self, invoices: list[_Doc], customers: list[dict],
                  account_ids: dict[str, str]) -> tuple[list[dict], list[dict], int]:
        deposits = [{"value": account_ids[name], "name": name}
                    for name in ("Business Checking", "Business Checking", "Undeposited Funds")]
        customer_refs = [{"value": str(i + 1), "name": customer["name"]} for i, customer in enumerate(customers)]
        payments = sorted(((created, paid_on, amount, doc) for doc in invoices
                           for amount, paid_on, created in doc.payments), key=lambda item: item[0])
        payment_rows, links, undeposited = [], {}, 0
        for number, (created, paid_on, amount, doc) in enumerate(payments, start=1):
            payment_id, stamp = str(number), self._stamp(created)
            deposit = self._pick(deposits)
            if deposit["name"] == "Undeposited Funds" and (self.today - paid_on).days <= 7:
                undeposited += amount
            paid = cents(amount)
            payment_rows.append({
                "CustomerRef": customer_refs[doc.party], "DepositToAccountRef": deposit, "TotalAmt": paid,
                "UnappliedAmt": ZERO, "ProcessPayment": False, "TxnDate": paid_on.isoformat(), "CurrencyRef": _USD,
                "PaymentRefNum": str(self._int(1000, 9999)),
                "Line": [{"Amount": paid, "LinkedTxn": [{"TxnId": doc.entity_id, "TxnType": "Invoice"}]}],
                "domain": "QBO", "sparse": False, "Id": payment_id, "SyncToken": "0",
                "MetaData": self._meta(stamp, stamp),
            })
            links.setdefault(doc.entity_id, []).append({"TxnId": payment_id, "TxnType": "Payment"})

        rows = []
        for number, doc in enumerate(invoices, start=1):
            customer = customers[doc.party]
            total, balance = self._money(doc)
            lines = []
            for line_number, amount in enumerate(doc.amounts, start=1):
                quantity = self._pick((1, 1, 2, 4, 5, 10))
                unit = amount / 100 / quantity
                lines.append({"Id": str(line_number), "LineNum": line_number,
                              "Amount": total if len(doc.amounts) == 1 else cents(amount),
                              "DetailType": "SalesItemLineDetail",
                              "SalesItemLineDetail": {"ItemRef": self._pick(_ITEMS), "Qty": quantity,
                                                      "UnitPrice": round(unit, 4)}})
            lines.append({"Amount": total, "DetailType": "SubTotalLineDetail", "SubTotalLineDetail": {}})
            row = {
                "CustomerRef": customer_refs[doc.party], "SalesTermRef": doc.terms, "DocNumber": str(1000 + number),
                "TxnDate": doc.txn_date.isoformat(), "DueDate": doc.due_date.isoformat(), "CurrencyRef": _USD,
                "Line": lines, "TxnTaxDetail": {"TotalTax": ZERO}, "Deposit": ZERO,
                "EmailStatus": "EmailSent" if self._random() < 0.8 else "NotSet",
                "BillEmail": {"Address": customer["email"]}, "LinkedTxn": links.get(doc.entity_id, []),
                "TotalAmt": total, "Balance": balance,
            }
            row.update(self._doc_system_fields(doc))
            rows.append(row)
        return rows, payment_rows, undeposited

    @staticmethod
    def _money(doc: _Doc) -> tuple[Decimal, Decimal]:
        """(TotalAmt, Balance) as Decimals, sharing objects where equal (Decimal is immutable)."""
        total = cents(doc.total)
        balance = doc.balance
        return total, total if balance == doc.total else ZERO if balance == 0 else cents(balance)

    def _doc_system_fields(self, doc: _Doc) -> dict:
        updated = max([doc.created] + [created for _, _, created in doc.payments])
        sync = len(doc.payments)
        if doc.edited is not None:
            updated, sync = doc.edited, sync + 1
        return {"domain": "QBO", "sparse": False, "Id": doc.entity_id, "SyncToken": str(sync),
                "MetaData": self._meta(self._stamp(doc.created), self._stamp(updated))}

    def _party_rows(self, entity: str, parties: list[dict], docs: list[_Doc]) -> list[dict]:
        open_balance = [0] * len(parties)
        for doc in docs:
            open_balance[doc.party] += doc.balance
        rows = []
        for index, party in enumerate(parties):
            stamp = self._stamp(party["created"])
            balance = cents(open_balance[index])
            row = {"DisplayName": party["name"], "PrintOnCheckName": party["name"]}
            if party["person"]:
                row.update(GivenName=party["given"], FamilyName=party["family"])
            else:
                row["CompanyName"] = party["name"]
            row.update({
                "Active": not party["inactive"],
                "PrimaryEmailAddr": {"Address": party["email"]}, "PrimaryPhone": self._phone(),
                "BillAddr": self._address(), "CurrencyRef": _USD, "Balance": balance,
            })
            if entity == "Vendor":
                row.update(TermRef=party["terms"][1], Vendor1099=self._random() < 0.2)
            else:
                row.update(FullyQualifiedName=party["name"], BalanceWithJobs=balance, SalesTermRef=party["terms"][1],
                           Taxable=False, Job=False, BillWithParent=False, PreferredDeliveryMethod="Email")
            row.update({"domain": "QBO", "sparse": False, "Id": str(index + 1), "SyncToken": "0",
                        "MetaData": self._meta(stamp, stamp)})
            rows.append(row)
        return rows

    def _set_balances(self, accounts: list[dict], bills: list[_Doc], invoices: list[_Doc], card_spend: int,
                      undeposited: int) -> None:
        """Bank balances are invented; A/P, A/R, the card and Undeposited Funds follow the documents."""
        balances = {
            "Business Checking": self._int(4_000_000, 40_000_000),
            "Business Savings": self._int(2_000_000, 25_000_000),
            "Payroll Checking": self._int(500_000, 5_000_000),
            **self._profile_cash(bills, invoices),
            "Business Credit Card": card_spend + self._int(50_000, 800_000),
            "Accounts Payable (A/P)": sum(doc.balance for doc in bills),
            "Accounts Receivable (A/R)": sum(doc.balance for doc in invoices),
            "Undeposited Funds": undeposited,
        }
        for row in accounts:
            if row["Name"] in balances:
                amount = cents(balances[row["Name"]])
                row["CurrentBalance"] = row["CurrentBalanceWithSubAccounts"] = amount

    def _profile_cash(self, bills: list[_Doc], invoices: list[_Doc]) -> dict[str, int]:
        """Bank balances (cents) giving the profile's runway target, or {} to keep the drawn ones."""
        target = self.profile.runway_days
        if target is None:
            return {}
        start = self.today - timedelta(days=RUNWAY_WINDOW_DAYS - 1)

        def paid_in_window(docs: list[_Doc]) -> int:
            return sum(amount for doc in docs for amount, paid_on, _ in doc.payments if start <= paid_on <= self.today)

        burn_per_day = (paid_in_window(bills) - paid_in_window(invoices)) / RUNWAY_WINDOW_DAYS
        if burn_per_day <= 0:
            return {}
        open_ar = sum(doc.balance for doc in invoices)
        open_ap = sum(doc.balance for doc in bills)
        cash = max(_MINIMUM_CASH, round(target * burn_per_day) - open_ar + open_ap)
        checking, savings = cash * 70 // 100, cash * 20 // 100
        return {"Business Checking": checking, "Business Savings": savings,
                "Payroll Checking": cash - checking - savings}
