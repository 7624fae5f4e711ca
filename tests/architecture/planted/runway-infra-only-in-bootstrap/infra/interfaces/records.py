from dataclasses import dataclass


@dataclass(frozen=True)
class BillRecord:
    qbo_id: str
