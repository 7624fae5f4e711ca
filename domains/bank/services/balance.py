"""Bank balances: the business's cash position.

- ``mirrored_cash_position``: Pattern 1 (local read) - balances as last synced.
- ``current_cash_position``: Pattern 2 (live read) - balances read from QuickBooks now, because they
  move all day. The answer is cached per business for ``CACHE_TTL`` so a burst of requests costs one
  QBO call, and is written through to the mirror. When QBO cannot be reached the mirrored balances
  are returned instead, marked as a fallback with the reason and their age, so callers say so.
"""

from __future__ import annotations

import contextlib
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from domains.core.clock import Clock
from domains.core.errors import NotFound
from domains.core.freshness import Answer, Freshness, FreshnessReader
from domains.core.money import ZERO
from infra.interfaces.errors import QboError, QboReconnectRequired, RecordNotFound, StorageError
from infra.interfaces.patterns import live, local_read
from infra.interfaces.ports import BankMirror, BusinessDirectory, QboGateway
from infra.interfaces.records import AccountRecord, Entity

CACHE_TTL = timedelta(seconds=60)


class CashSource:
    MIRROR = "mirror"
    LIVE = "live"
    LIVE_CACHED = "live (cached)"
    MIRROR_FALLBACK = "mirror (QuickBooks unavailable)"


@dataclass(frozen=True, slots=True)
class CashPosition:
    accounts: list[AccountRecord]

    @property
    def total(self) -> Decimal:
        return sum((a.current_balance for a in self.accounts), ZERO)


@dataclass(frozen=True, slots=True)
class LiveCashPosition:
    position: CashPosition
    source: str
    freshness: Freshness
    fallback_reason: str | None = None

    @property
    def fell_back(self) -> bool:
        return self.fallback_reason is not None


class BalanceService:
    """The business's cash in its bank accounts.

    Contract:
    - ``mirrored_cash_position`` reads the balances as last synced (Pattern 1), never QuickBooks; its
      freshness is that of the Account sync.
    - ``current_cash_position`` reads QuickBooks (Pattern 2), reusing a read younger than ``CACHE_TTL``;
      when QBO fails (unavailable, throttled, or the company must reconnect) it answers the mirrored
      balances with ``fell_back`` True, the reason, and their age. ``NotFound`` for an unknown business.
    """

    def __init__(self, bank: BankMirror, freshness: FreshnessReader, clock: Clock,
                 directory: BusinessDirectory | None = None, gateway: QboGateway | None = None,
                 cache_ttl: timedelta = CACHE_TTL) -> None:
        self._bank = bank
        self._freshness = freshness
        self._clock = clock
        self._directory = directory
        self._gateway = gateway
        self._ttl = cache_ttl
        self._cache: dict[int, tuple[datetime, CashPosition]] = {}
        self._lock = threading.Lock()

    @property
    def live_enabled(self) -> bool:
        """Whether this service was wired with a QBO gateway (``current_cash_position`` can go live)."""
        return self._directory is not None and self._gateway is not None

    @local_read
    def mirrored_cash_position(self, business_id: int) -> Answer[CashPosition]:
        """Active bank accounts and their balances from the last Account sync."""
        accounts = self._bank.bank_accounts(business_id)
        return Answer(CashPosition(accounts),
                      self._freshness.of(business_id, (Entity.ACCOUNT,), self._clock.now()))

    @live
    def current_cash_position(self, business_id: int) -> LiveCashPosition:
        """Bank balances from QuickBooks now, or the mirrored ones marked as a fallback."""
        if self._directory is None or self._gateway is None:
            raise RuntimeError("BalanceService was built without a QBO gateway: live reads are not wired")
        try:
            business = self._directory.get_business(business_id)
        except RecordNotFound as exc:
            raise NotFound("business", business_id) from exc
        now = self._clock.now()
        with self._lock:
            cached = self._cache.get(business_id)
        if cached and now - cached[0] < self._ttl:
            return LiveCashPosition(cached[1], CashSource.LIVE_CACHED, _live_freshness(cached[0], now))
        try:
            accounts = self._gateway.bank_accounts(business)
        except QboError as exc:
            return self._fallback(business_id, exc)
        position = CashPosition(sorted(accounts, key=lambda a: (a.name, a.qbo_id)))
        with self._lock:
            self._cache[business_id] = (now, position)
        # A failed write-through does not make the live answer wrong; the next sync repairs the mirror.
        with contextlib.suppress(StorageError):
            self._bank.store_bank_accounts(business_id, accounts)
        return LiveCashPosition(position, CashSource.LIVE, _live_freshness(now, now))

    def _fallback(self, business_id: int, error: QboError) -> LiveCashPosition:
        mirrored = self.mirrored_cash_position(business_id)
        if isinstance(error, QboReconnectRequired):
            reason = "QuickBooks must be reconnected for this company"
        else:
            reason = f"QuickBooks unavailable: {error.message}"
        f = mirrored.freshness
        return LiveCashPosition(mirrored.data, CashSource.MIRROR_FALLBACK,
                                Freshness(f.last_synced_at, True, f.age, f.entities, source="mirror"), reason)


def _live_freshness(read_at: datetime, now: datetime) -> Freshness:
    return Freshness(read_at, False, max(now - read_at, timedelta(0)), (Entity.ACCOUNT,), source="live")
