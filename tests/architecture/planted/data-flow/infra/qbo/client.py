"""The planted project's HTTP client: a live package."""

from __future__ import annotations

import httpx


def get(path: str) -> dict:
    return httpx.get(f"https://quickbooks.example{path}").json()


class LiveGateway:
    def __init__(self, base_url: str) -> None:
        self._http = httpx.Client(base_url=base_url)

    def send_invoice(self, business_id: int, invoice_id: str) -> dict:
        return self._http.post(f"/invoice/{invoice_id}/send").json()
