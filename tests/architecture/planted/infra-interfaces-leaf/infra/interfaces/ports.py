from typing import Protocol

from infra.qbo.client import QboClient  # planted-violation


class BillMirror(Protocol):
    def unpaid_bills(self, business_id: int) -> list[object]: ...
