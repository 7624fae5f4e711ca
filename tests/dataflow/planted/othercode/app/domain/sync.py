"""A domain-side class that wraps the HTTP client and copies the ledger locally: live and a sync."""

from __future__ import annotations

from app.adapters.api.client import ApiClient


class SyncService:
    def __init__(self, client: ApiClient) -> None:
        self._client = client

    def pull(self, account: str) -> dict:
        return self._client.fetch(f"/accounts/{account}")
