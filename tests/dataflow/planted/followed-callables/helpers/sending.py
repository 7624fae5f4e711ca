"""A helper two calls away from the port."""

from __future__ import annotations

from infra.interfaces.ports import QboGateway


def send_through(gateway: QboGateway, business_id: int) -> None:
    _really_send(gateway, business_id)


def _really_send(gateway: QboGateway, business_id: int) -> None:
    gateway.send_invoice(business_id, "helper")
