"""FastAPI dependencies: how each service gets its collaborators."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

import httpx
from fastapi import Depends
from sqlalchemy.orm import Session, sessionmaker

from shopapi.adapters.orders import SqlOrderStore
from shopapi.adapters.payments import HttpPaymentGateway
from shopapi.ports import OrderStore, PaymentGateway

SessionLocal = sessionmaker()


def get_db() -> Iterator[Session]:
    with SessionLocal() as session:
        yield session


def get_orders(db: Annotated[Session, Depends(get_db)]) -> OrderStore:
    return SqlOrderStore(db)


def get_payments() -> PaymentGateway:
    return HttpPaymentGateway(httpx.Client(base_url="https://payments.example"))


def get_notifier():
    return print
