import importlib

from domains.core.money import ZERO
from infra.interfaces.ports import BillMirror


def open_total(bills: BillMirror) -> object:
    return ZERO


def transport() -> object:
    module = importlib
    module = importlib.import_module("httpx")  # planted-violation
    return module
