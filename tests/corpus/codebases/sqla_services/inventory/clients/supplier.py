"""The supplier's HTTP API."""

from __future__ import annotations

from decimal import Decimal

import httpx


class SupplierClient:
    def __init__(self, base_url: str) -> None:
        self._http = httpx.Client(base_url=base_url)

    def quote(self, sku: str) -> Decimal:
        return Decimal(self._http.get(f"/quotes/{sku}").json()["price"])

    def catalogue(self) -> list[dict]:
        return self._http.get("/catalogue").json()
