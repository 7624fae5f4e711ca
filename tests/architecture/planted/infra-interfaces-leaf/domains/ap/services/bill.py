from domains.core.money import ZERO
from infra.interfaces.patterns import local_read
from infra.interfaces.ports import BillMirror


@local_read
def open_total(bills: BillMirror) -> object:
    return ZERO
