"""The QBO entities the sandbox models, and what it needs to know about each.

Names are QBO's (``BillPayment``); URL paths are their lower-case form (``/billpayment``). Lookups by
name are case-insensitive because QBO's query language and paths are.
"""

from __future__ import annotations

from dataclasses import dataclass

from .errors import unsupported_operation


@dataclass(frozen=True)
class EntitySpec:
    """Static facts about one entity type.

    is_list:   a "name list" entity (Vendor, Customer, Account, Term, Item, TaxCode): queries return only
               ``Active = true`` rows unless the query filters on ``Active``; QBO refuses hard deletes of these.
    fields:    top-level fields QBO defines for it (queries on any other field are refused, as QBO does).
    money:     fields holding amounts, at any depth (kept as cent-quantized Decimal).
    read_only: fields the API computes; create/update bodies cannot set them.
    """

    name: str
    is_list: bool
    fields: frozenset[str]
    money: frozenset[str]
    read_only: frozenset[str]

    @property
    def path(self) -> str:
        return self.name.lower()


_COMMON = {"Id", "SyncToken", "domain", "sparse", "MetaData"}
_TXN = {"TxnDate", "DocNumber", "PrivateNote", "CurrencyRef", "ExchangeRate", "DepartmentRef", "Line",
        "LinkedTxn", "TotalAmt", "GlobalTaxCalculation", "TxnTaxDetail", "TxnSource", "TxnStatus"}
_PERSON = {"DisplayName", "CompanyName", "Active", "Balance", "PrimaryEmailAddr", "PrimaryPhone", "Title",
           "GivenName", "MiddleName", "FamilyName", "Suffix", "PrintOnCheckName", "BillAddr", "AlternatePhone",
           "Mobile", "Fax", "WebAddr", "CurrencyRef", "OpenBalanceDate"}
#: TaxCode: read and queried only; every field is the tax setup's (made with TaxService, not /taxcode).
_TAX_CODE_FIELDS = {"Name", "Description", "Active", "Hidden", "Taxable", "TaxGroup", "SalesTaxRateList",
                    "PurchaseTaxRateList", "TaxCodeConfigType"}
#: Money fields wherever they appear (top level, in Line[], in TxnTaxDetail).
MONEY_FIELDS = frozenset({
    "Amount", "TotalAmt", "Balance", "Deposit", "TotalTax", "UnappliedAmt", "CurrentBalance",
    "CurrentBalanceWithSubAccounts", "OpeningBalance", "HomeBalance", "HomeTotalAmt", "BalanceWithJobs",
    "TaxableAmount",
})


def _spec(name: str, fields: set[str], *, is_list: bool = False, read_only: set[str] = frozenset()) -> EntitySpec:
    all_fields = frozenset(fields | _COMMON)
    return EntitySpec(name, is_list, all_fields, MONEY_FIELDS, frozenset(read_only | {"MetaData", "domain"}))


ENTITY_SPECS: dict[str, EntitySpec] = {
    spec.name: spec
    for spec in (
        _spec("Vendor", _PERSON | {"APAccountRef", "AcctNum", "BillRate", "TaxIdentifier", "TermRef",
                                   "Vendor1099", "TaxReportingBasis"},
              is_list=True, read_only={"Balance"}),
        _spec("Customer", _PERSON | {"ARAccountRef", "BalanceWithJobs", "BillWithParent", "FullyQualifiedName",
                                     "IsProject", "Job", "Level", "Notes", "ParentRef", "PaymentMethodRef",
                                     "PreferredDeliveryMethod", "PrimaryTaxIdentifier", "ResaleNum",
                                     "SalesTermRef", "ShipAddr", "Taxable", "DefaultTaxCodeRef"},
              is_list=True, read_only={"Balance", "BalanceWithJobs", "FullyQualifiedName"}),
        _spec("Account", {"Name", "FullyQualifiedName", "Active", "Classification", "AccountType",
                          "AccountSubType", "CurrentBalance", "CurrentBalanceWithSubAccounts", "CurrencyRef",
                          "AcctNum", "Description", "ParentRef", "SubAccount", "TaxCodeRef", "OpeningBalance",
                          "OpeningBalanceDate"},
              is_list=True, read_only={"CurrentBalance", "CurrentBalanceWithSubAccounts", "FullyQualifiedName",
                                       "Classification"}),
        _spec("Bill", _TXN | {"VendorRef", "APAccountRef", "DueDate", "Balance", "SalesTermRef", "VendorAddr",
                              "AttachableRef"},
              read_only={"Balance", "TotalAmt", "LinkedTxn"}),
        _spec("BillPayment", _TXN | {"VendorRef", "PayType", "CheckPayment", "CreditCardPayment",
                                     "APAccountRef"},
              read_only=set()),
        _spec("Invoice", _TXN | {"CustomerRef", "DueDate", "Balance", "Deposit", "EmailStatus", "BillEmail",
                                 "BillEmailCc", "BillEmailBcc", "BillAddr", "ShipAddr", "ShipDate",
                                 "SalesTermRef", "CustomerMemo", "PrintStatus", "DeliveryInfo", "AllowIPNPayment",
                                 "AllowOnlineACHPayment", "AllowOnlineCreditCardPayment", "ApplyTaxAfterDiscount",
                                 "CustomField", "HomeBalance", "HomeTotalAmt", "InvoiceLink", "TrackingNum",
                                 "EInvoiceStatus", "FreeFormAddress", "RecurDataRef", "ShipMethodRef",
                                 "TaxExemptionRef"},
              read_only={"Balance", "TotalAmt", "LinkedTxn", "DeliveryInfo"}),
        _spec("Payment", _TXN | {"CustomerRef", "DepositToAccountRef", "ARAccountRef", "PaymentMethodRef",
                                 "PaymentRefNum", "UnappliedAmt", "CreditCardPayment", "ProcessPayment",
                                 "TransactionLocationType", "TaxExemptionRef"},
              read_only={"UnappliedAmt"}),
        _spec("SalesReceipt", _TXN | {"CustomerRef", "DepositToAccountRef", "PaymentMethodRef", "PaymentRefNum",
                                      "Balance", "EmailStatus", "BillEmail", "BillEmailCc", "BillEmailBcc",
                                      "BillAddr", "ShipAddr", "ShipDate", "ShipMethodRef", "TrackingNum",
                                      "CustomerMemo", "PrintStatus", "ApplyTaxAfterDiscount", "CustomField",
                                      "DeliveryInfo", "HomeBalance", "HomeTotalAmt", "FreeFormAddress", "ClassRef",
                                      "CreditCardPayment", "TransactionLocationType", "TaxExemptionRef"},
              read_only={"Balance", "TotalAmt", "DeliveryInfo"}),
        _spec("Term", {"Name", "Active", "Type", "DueDays", "DayOfMonthDue", "DueNextMonthDays", "DiscountPercent",
                       "DiscountDays", "DiscountDayOfMonth"},
              is_list=True, read_only={"Type"}),
        _spec("Item", {"Name", "Sku", "Description", "Active", "FullyQualifiedName", "Taxable", "UnitPrice", "Type",
                       "IncomeAccountRef", "ExpenseAccountRef", "AssetAccountRef", "PurchaseDesc", "PurchaseCost",
                       "TrackQtyOnHand", "QtyOnHand", "InvStartDate", "SubItem", "ParentRef", "Level",
                       "SalesTaxIncluded", "PurchaseTaxIncluded", "SalesTaxCodeRef", "PurchaseTaxCodeRef",
                       "ClassRef", "PrefVendorRef", "ReorderPoint", "ItemCategoryType", "Source"},
              is_list=True, read_only={"FullyQualifiedName", "Level"}),
        _spec("TaxCode", _TAX_CODE_FIELDS, is_list=True, read_only=_TAX_CODE_FIELDS),
        _spec("Preferences", {"AccountingInfoPrefs", "ProductAndServicesPrefs", "SalesFormsPrefs",
                              "EmailMessagesPrefs", "VendorAndPurchasesPrefs", "TimeTrackingPrefs", "TaxPrefs",
                              "CurrencyPrefs", "ReportPrefs", "OtherPrefs"}),
        _spec("CompanyInfo", {"CompanyName", "LegalName", "CompanyAddr", "LegalAddr", "CustomerCommunicationAddr",
                              "Country", "Email", "WebAddr", "PrimaryPhone", "FiscalYearStartMonth",
                              "CompanyStartDate", "SupportedLanguages", "NameValue"}),
    )
}

_BY_LOWER = {name.lower(): spec for name, spec in ENTITY_SPECS.items()}

#: Entities the data API serves for reading only (read and query): a write of any kind is an Unsupported
#: Operation. Intuit: "Use the TaxService endpoint to create a TaxCode object".
READ_ONLY_ENTITIES = frozenset({"TaxCode"})

#: Entities whose rows are business transactions (deletable, voidable where QBO allows).
TRANSACTIONS = frozenset({"Bill", "BillPayment", "Invoice", "Payment", "SalesReceipt"})


def find_spec(name: str) -> EntitySpec | None:
    """The spec for ``name`` in any letter case, or None."""
    return _BY_LOWER.get(name.lower())


def require_spec(name: str) -> EntitySpec:
    """The spec for ``name`` in any letter case; an Unsupported Operation fault if the sandbox lacks it."""
    spec = find_spec(name)
    if spec is None:
        raise unsupported_operation(f"for entity {name}")
    return spec


def canonical_name(name: str) -> str:
    return require_spec(name).name
