from infra.interfaces.ports import BillMirror


class SqlBillMirror:
    def unpaid_bills(self, business_id: int) -> list[object]:
        return []


def mirror() -> BillMirror:
    return SqlBillMirror()
