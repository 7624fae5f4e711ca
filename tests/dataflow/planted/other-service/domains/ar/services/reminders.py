"""A second domain service, with a live operation."""

from __future__ import annotations

from infra.interfaces.patterns import live
from infra.interfaces.ports import QboGateway


class ReminderService:
    def __init__(self, gateway: QboGateway) -> None:
        self._gateway = gateway

    @live
    def remind(self, business_id: int) -> dict:
        return self._gateway.send_invoice(business_id, "reminder")
