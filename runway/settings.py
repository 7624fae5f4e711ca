"""Runtime settings, read from the environment (prefix ``RUNWAY_``) and an optional ``.env`` file.

Only the composition root (``runway.bootstrap``) and the CLI construct ``Settings``; nothing reads them
at import time, so importing any module never touches the environment, the disk or the network.

QBO is reached by configuration only: point ``RUNWAY_QBO_API_BASE_URL`` and ``RUNWAY_QBO_TOKEN_URL`` at
Intuit (``https://sandbox-quickbooks.api.intuit.com/v3``, ``https://oauth.platform.intuit.com/oauth2/v1/tokens/bearer``)
or at the local sandbox (``runway sandbox`` prints both URLs); the client code is the same.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

INTUIT_TOKEN_URL = "https://oauth.platform.intuit.com/oauth2/v1/tokens/bearer"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="RUNWAY_", env_file=".env", extra="ignore")

    database_url: str = Field("sqlite:///runway.db", description="SQLAlchemy URL of the mirror database")
    stale_after_hours: float = Field(24.0, gt=0, description="Pattern 1 answers older than this are stale")

    qbo_api_base_url: str | None = Field(None, description="QBO data API base ending in /v3; unset = no live QBO")
    qbo_token_url: str = Field(INTUIT_TOKEN_URL, description="OAuth 2.0 token endpoint")
    qbo_client_id: str | None = None
    qbo_client_secret: str | None = Field(None, repr=False)
    qbo_minorversion: int = Field(75, ge=75)
    qbo_read_timeout_seconds: float = Field(60.0, gt=0)
    qbo_throttle_wait_seconds: float = Field(60.0, gt=0, description="pause after a 429 without Retry-After")
    qbo_max_attempts: int = Field(5, ge=1, description="tries per request, the first included")
    qbo_backoff_base_seconds: float = Field(1.0, gt=0, description="backoff before retry n: up to base * 2^(n-1)")
    token_encryption_key: str | None = Field(
        None, repr=False, description="Fernet key(s), comma-separated, that encrypt QBO tokens at rest")

    qbo_webhook_verifier_token: str | None = Field(
        None, repr=False, description="the app's webhook verifier token: checks QBO's intuit-signature header")

    database_statement_timeout_ms: int = Field(
        15000, ge=0, description="PostgreSQL statement_timeout of every connection (0: none)")
    database_connect_timeout_seconds: int = Field(5, ge=1, description="PostgreSQL connect_timeout")
    database_pool_timeout_seconds: float = Field(5.0, gt=0, description="wait for a pooled connection at most")
    database_pool_size: int = Field(
        20, ge=1, description="PostgreSQL connections each process keeps open (size it to the "
                                             "requests in flight per process: a smaller pool reconnects)")
    database_max_overflow: int = Field(
        10, ge=0, description="extra PostgreSQL connections a burst may open (closed after)")
    sqlite_busy_timeout_ms: int = Field(5000, ge=0, description="SQLite busy_timeout: wait for a lock at most")
    request_timeout_seconds: float = Field(
        5.0, gt=0, description="an API request not answered by then is answered 503 (a database that stopped "
                               "answering never holds a client longer)")
    live_request_timeout_seconds: float = Field(
        30.0, gt=0, description="the same for requests that wait on QuickBooks (payments, reminders, /cash)")
    token_lifetime_days: int = Field(90, ge=1, description="new API tokens expire after this many days")

    webhook_max_body_bytes: int = Field(
        1024 * 1024, ge=1024, le=64 * 1024 * 1024,
        description="largest QBO webhook body accepted (413 beyond); checked while the body is read")

    guard_mode: Literal["raise", "log", "off"] = Field(
        "raise", description="what a live call inside a Pattern 1 operation does: raise (dev/tests) or log (prod)")

    broker_url: str | None = Field(
        None, description="job engine of the syncs: unset = the embedded queue in the mirror database (one "
                          "machine); redis://host:port/db = Dramatiq on that Redis (N workers on M machines)")
    redis_url: str | None = Field(
        None, description="Redis holding QBO's per-realm limits for every process (default: RUNWAY_BROKER_URL "
                          "when it is a Redis URL); unset = each process limits itself")
    redis_namespace: str = Field("runway", min_length=1, description="prefix of every Redis key of this deployment")
    broker_heartbeat_timeout_seconds: float = Field(
        60.0, gt=0, description="a worker silent this long is taken for dead: its unfinished jobs run again")
    idempotency_retention_hours: float = Field(
        24.0, gt=0, description="the worker purges Idempotency-Key records older than this")
    pending_payment_give_up_hours: float = Field(
        24.0, ge=1, le=24 * 30,
        description="a pending bill payment not found in QBO after this long was never made: the sync (or "
                    "`runway payments settle`) removes it and logs it; longer than any client retries a payment")

    @property
    def qbo_configured(self) -> bool:
        return bool(self.qbo_api_base_url and self.qbo_client_id and self.qbo_client_secret)

    @property
    def shared_limits_url(self) -> str | None:
        """The Redis that holds QBO's limits for every process, or None (each process limits itself)."""
        if self.redis_url:
            return self.redis_url
        if self.broker_url and self.broker_url.startswith(("redis://", "rediss://", "unix://")):
            return self.broker_url
        return None
