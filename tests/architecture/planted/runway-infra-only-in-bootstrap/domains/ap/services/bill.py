from domains.core.money import ZERO
from infra.interfaces.ports import BillMirror


def open_total(bills: BillMirror) -> object:
    return ZERO
