from domains.ap.services.bill import open_total
from infra.interfaces.ports import BillMirror


def pay(bills: BillMirror) -> object:
    return open_total(bills)
