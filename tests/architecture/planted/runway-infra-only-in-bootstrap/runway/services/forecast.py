from domains.ap.services.bill import open_total
from infra.db.session import SqlBillMirror  # planted-violation
from infra.interfaces.patterns import local_read
from infra.interfaces.records import BillRecord

HORIZON_DAYS = 90


@local_read
def forecast(bills) -> object:
    return open_total(bills)
