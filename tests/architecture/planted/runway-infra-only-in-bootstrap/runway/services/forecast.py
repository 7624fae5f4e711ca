from domains.ap.services.bill import open_total
from infra.interfaces.records import BillRecord  # planted-violation

HORIZON_DAYS = 90


def forecast(bills) -> object:
    return open_total(bills)
