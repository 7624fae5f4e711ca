"""The portfolio of client businesses a firm looks after, and which firm sees which business. Pattern 1 only.

Read by the advisor console (one summary per business, computed by the mirror in one set-based pass) and
by the HTTP API, which asks ``business_for_firm`` before every per-business answer: tenancy is decided here,
in one place.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from domains.core.clock import Clock
from domains.core.errors import InvalidInput, NotFound
from domains.core.freshness import STALE_AFTER, Freshness
from infra.interfaces.errors import RecordNotFound
from infra.interfaces.patterns import local_read
from infra.interfaces.ports import BusinessDirectory, PortfolioMirror
from infra.interfaces.records import BusinessMirrorSummary, BusinessRecord, Entity

# Entities a business summary reads; a business is fresh only when all of them synced recently.
SUMMARY_ENTITIES = (Entity.ACCOUNT, Entity.INVOICE, Entity.BILL, Entity.BILL_PAYMENT, Entity.PAYMENT)


class PortfolioService:
    """The firm's client businesses and their mirror summaries (Pattern 1).

    Contract: ``business_summaries`` answers one row per business of the firm (every business when
    ``firm_id`` is None) with its own freshness; ``get_business`` raises ``NotFound`` for an unknown id;
    ``business_for_firm`` answers a business of the firm or raises ``NotFound`` - the same ``NotFound`` for
    another firm's business as for an id that does not exist, so the answer tells nothing about other firms.
    """

    def __init__(self, directory: BusinessDirectory, portfolio: PortfolioMirror, clock: Clock, *,
                 stale_after: timedelta = STALE_AFTER) -> None:
        self._directory = directory
        self._portfolio = portfolio
        self._clock = clock
        self._stale_after = stale_after

    @local_read
    def get_business(self, business_id: int) -> BusinessRecord:
        try:
            return self._directory.get_business(business_id)
        except RecordNotFound as exc:
            raise NotFound("business", business_id) from exc

    @local_read
    def business_for_firm(self, firm_id: int, business_id: int) -> BusinessRecord:
        """The business with that id if it is a client of the firm; ``NotFound`` otherwise."""
        try:
            business = self._directory.get_business(business_id)
        except RecordNotFound:
            business = None
        if business is None or business.firm_id != firm_id:
            raise NotFound("business", business_id)
        return business

    @local_read
    def list_businesses(self, firm_id: int | None = None) -> list[BusinessRecord]:
        """The firm's client businesses (every business when ``firm_id`` is None), by id."""
        return self._directory.list_businesses(firm_id)

    @local_read
    def business_summaries(self, firm_id: int | None, window_days: int
                           ) -> list[tuple[BusinessMirrorSummary, Freshness]]:
        """Cash, open AR/AP and the money moved over the last ``window_days`` days, per business."""
        if window_days <= 0:
            raise InvalidInput("window_days", "window_days must be positive")
        today = self._clock.today()
        now = self._clock.now()
        rows = self._portfolio.business_summaries(firm_id, today - timedelta(days=window_days - 1), today)
        return [(row, self._freshness(row, now)) for row in rows]

    def _freshness(self, row: BusinessMirrorSummary, now: datetime) -> Freshness:
        if row.last_success_at is None or not set(SUMMARY_ENTITIES) <= set(row.synced_entities):
            return Freshness(None, True, None, SUMMARY_ENTITIES)
        age = max(now - row.last_success_at, timedelta(0))
        return Freshness(row.last_success_at, age > self._stale_after, age, SUMMARY_ENTITIES)
