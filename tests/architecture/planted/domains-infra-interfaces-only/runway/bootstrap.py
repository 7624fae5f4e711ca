from domains.ap.services.bill import open_total
from infra.db.session import SqlBillMirror


def open_bills_total() -> object:
    return open_total(SqlBillMirror())
