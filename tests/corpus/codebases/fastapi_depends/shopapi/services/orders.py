"""Orders: a service class whose collaborators FastAPI injects with Depends."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from fastapi import Depends

from shopapi.deps import get_notifier, get_orders, get_payments
from shopapi.ports import OrderStore, PaymentGateway


class OrderService:
    def __init__(self, orders: Annotated[OrderStore, Depends(get_orders)],
                 payments: Annotated[PaymentGateway, Depends(get_payments)], notify=Depends(get_notifier)) -> None:
        self.orders = orders
        self.payments = payments
        self.notify = notify

    def get(self, order_id: int) -> dict:
        return self.orders.get(order_id)

    def pay(self, order_id: int) -> str:
        order = self.orders.get(order_id)
        charge = self.payments.charge(order_id, Decimal(order["total"]))
        self.orders.save({**order, "charge": charge, "status": "paid"})
        self.notify(f"order {order_id} paid")
        return charge

    def order_summary(self, order_id: int) -> dict:
        order = self.orders.get(order_id)
        return {**order, "refund": self.payments.refund_status(order["charge"])}  # planted-violation
