"""The HTTP routes: thin, everything goes through the services."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from shopapi.services.orders import OrderService

router = APIRouter()


@router.get("/orders/{order_id}")
def read_order(order_id: int, service: Annotated[OrderService, Depends()]) -> dict:
    return service.get(order_id)


@router.post("/orders/{order_id}/pay")
def pay_order(order_id: int, service: Annotated[OrderService, Depends()]) -> dict:
    return {"charge": service.pay(order_id)}
