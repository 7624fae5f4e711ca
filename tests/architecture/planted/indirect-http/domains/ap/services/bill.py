from domains.core.money import ZERO
from infra.interfaces.ports import BillMirror
from infra.qbo.client import QboClient  # planted-violation
from infra.interfaces.patterns import local_read


@local_read
def open_total(bills: BillMirror) -> object:
    return ZERO
