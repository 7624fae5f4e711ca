from domains.core.money import ZERO
from infra.interfaces.ports import BillMirror


def open_total(bills: BillMirror) -> object:
    return ZERO


def pay_all(bills: BillMirror) -> object:
    from domains.ap.services.payment import pay  # planted-violation

    return ZERO
