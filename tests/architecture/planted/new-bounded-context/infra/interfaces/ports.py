from typing import Protocol

from infra.interfaces.patterns import local_port


@local_port
class BillMirror(Protocol):
    def unpaid_bills(self, business_id: int) -> list[object]: ...
