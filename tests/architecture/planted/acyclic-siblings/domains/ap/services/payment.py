from domains.ap.services.bill import open_total
from infra.interfaces.patterns import local_read
from infra.interfaces.ports import BillMirror


@local_read
def pay(bills: BillMirror) -> object:
    return open_total(bills)
