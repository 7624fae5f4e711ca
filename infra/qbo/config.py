"""Settings of the QBO client, built by the composition root; nothing here reads the environment."""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["INTUIT_TOKEN_URL", "MIN_MINORVERSION", "QboClientConfig"]

INTUIT_TOKEN_URL = "https://oauth.platform.intuit.com/oauth2/v1/tokens/bearer"
MIN_MINORVERSION = 75  # versions 1-74 were retired on 2025-08-01


@dataclass(frozen=True, slots=True, kw_only=True)
class QboClientConfig:
    """How to reach QBO and how hard to push it.

    ``api_base_url`` ends in ``/v3`` (e.g. ``https://sandbox-quickbooks.api.intuit.com/v3``); the client
    appends ``/company/{realm}/...``. Pointing it and ``token_url`` at a local sandbox is the only change
    needed to run against one.
    """

    api_base_url: str
    client_id: str
    client_secret: str = field(repr=False)
    token_url: str = INTUIT_TOKEN_URL
    minorversion: int = MIN_MINORVERSION

    # Timeouts, seconds. QBO itself gives up on a request after 120 s.
    connect_timeout_seconds: float = 10.0
    read_timeout_seconds: float = 60.0
    write_timeout_seconds: float = 60.0
    pool_timeout_seconds: float = 30.0
    max_connections: int = 100  # shared by every realm this process talks to

    # Retries: attempts include the first one. Backoff before retry n (1-based) is a random value in
    # [d/2, d] with d = min(backoff_max, backoff_base * 2**(n-1)). A 429 waits as QBO asks instead.
    max_attempts: int = 5
    backoff_base_seconds: float = 1.0
    backoff_max_seconds: float = 30.0

    # Per-realm limiter (see ``RealmLimiterRegistry.from_config``).
    requests_per_minute: int = 500
    requests_per_second: int | None = 10
    max_in_flight: int = 10
    limiter_timeout_seconds: float = 120.0  # longest a request waits for a limiter slot
    throttle_default_wait_seconds: float = 60.0  # pause after a 429 without Retry-After (Intuit: 60 s)

    # Refresh the access token when it expires within this margin.
    refresh_margin_seconds: float = 300.0
    user_agent: str = "runway-qbo"

    def __post_init__(self) -> None:
        if not self.api_base_url.startswith(("http://", "https://")):
            raise ValueError(f"api_base_url must be an http(s) URL, got {self.api_base_url!r}")
        if self.minorversion < MIN_MINORVERSION:
            raise ValueError(f"minorversion must be at least {MIN_MINORVERSION}")
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        if self.requests_per_minute < 1 or self.max_in_flight < 1:
            raise ValueError("requests_per_minute and max_in_flight must be positive")
        if self.requests_per_second is not None and self.requests_per_second < 1:
            raise ValueError("requests_per_second must be positive or None")
        for name in ("connect_timeout_seconds", "read_timeout_seconds", "write_timeout_seconds",
                     "pool_timeout_seconds", "limiter_timeout_seconds"):
            if getattr(self, name) <= 0:
                raise ValueError(f"{name} must be positive")
        for name in ("backoff_base_seconds", "backoff_max_seconds", "throttle_default_wait_seconds",
                     "refresh_margin_seconds"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must not be negative")

    @property
    def base_url(self) -> str:
        """``api_base_url`` without a trailing slash."""
        return self.api_base_url.rstrip("/")
