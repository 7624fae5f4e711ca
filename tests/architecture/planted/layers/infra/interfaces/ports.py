from typing import Protocol


class BillMirror(Protocol):
    def unpaid_bills(self, business_id: int) -> list[object]: ...
