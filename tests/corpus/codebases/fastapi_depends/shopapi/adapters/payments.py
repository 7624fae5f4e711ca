"""The payment provider's HTTP API."""

from __future__ import annotations

from decimal import Decimal

import httpx


class HttpPaymentGateway:
    def __init__(self, client: httpx.Client) -> None:
        self._client = client

    def charge(self, order_id: int, amount: Decimal) -> str:
        return self._client.post("/charges", json={"order": order_id, "amount": str(amount)}).json()["id"]

    def refund_status(self, charge_id: str) -> str:
        return self._client.get(f"/charges/{charge_id}/refund").json()["status"]
