from typing import Protocol

from infra.interfaces.patterns import local_port

from infra.qbo.client import QboClient  # planted-violation


@local_port
class BillMirror(Protocol):
    def unpaid_bills(self, business_id: int) -> list[object]: ...
