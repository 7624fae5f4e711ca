"""Read-only views, straight from the database through the unit of work's session."""

from __future__ import annotations

from sqlalchemy import text

from allocation.service_layer import unit_of_work


def allocations(orderid: str, uow: unit_of_work.SqlAlchemyUnitOfWork) -> list[dict]:
    with uow:
        rows = uow.session.execute(text("SELECT sku, batchref FROM allocations_view WHERE orderid = :o"),
                                   {"o": orderid})
    return [{"sku": sku, "batchref": batchref} for sku, batchref in rows]
