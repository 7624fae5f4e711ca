"""The record types domain answers are made of, re-exported for the domains' callers.

Runway services receive these inside domain answers and may name them in their own types; importing
them from here keeps runway off infra (only the composition root imports infra).
"""

from infra.interfaces.records import (
    AccountRecord,
    AgingBucketTotal,
    BillPaymentRecord,
    BillPaymentStatus,
    BillRecord,
    BusinessRecord,
    CashFlowTotals,
    CustomerPaymentRecord,
    CustomerRecord,
    Entity,
    FirmRecord,
    InvoiceRecord,
    OpenAmountSummary,
    PaymentLine,
    VendorRecord,
)

__all__ = [
    "AccountRecord", "AgingBucketTotal", "BillPaymentRecord", "BillPaymentStatus", "BillRecord", "BusinessRecord",
    "CashFlowTotals", "CustomerPaymentRecord", "CustomerRecord", "Entity", "FirmRecord", "InvoiceRecord",
    "OpenAmountSummary", "PaymentLine", "VendorRecord",
]
