"""SQL implementations of the local ports in ``infra.interfaces.ports`` and ``infra.interfaces.access``
(one module per area).

Each repository takes a ``sessionmaker`` and opens one short transaction per method; driver errors
surface as ``StorageError`` and missing rows as ``RecordNotFound``.
"""

from infra.db.repositories.bank import SqlBankMirror
from infra.db.repositories.bills import SqlBillMirror
from infra.db.repositories.businesses import SqlBusinessDirectory
from infra.db.repositories.invoices import SqlInvoiceMirror
from infra.db.repositories.payments import SqlPaymentMirror
from infra.db.repositories.portfolio import SqlPortfolioMirror
from infra.db.repositories.sync_state import SqlSyncStateReader

__all__ = [
    "SqlBankMirror",
    "SqlBillMirror",
    "SqlBusinessDirectory",
    "SqlInvoiceMirror",
    "SqlPaymentMirror",
    "SqlPortfolioMirror",
    "SqlSyncStateReader",
]
