"""Planted: a sync job in a domain package, outside the service modules (found by its marker)."""

from __future__ import annotations

from infra.interfaces.patterns import sync_job


@sync_job
def refresh_all(business_id: int) -> None:  # planted-violation: sync code in the domain layer
    ...
