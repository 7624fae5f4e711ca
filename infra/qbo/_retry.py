"""The retry policy of the QBO client, on tenacity.

What is retried (up to ``max_attempts`` attempts in all):

- ``QboRequestNotSent`` (connect errors, token endpoint failures): always, the request never left;
- ``QboThrottledError`` (429 / fault 3001): idempotent calls only; the wait is the realm pause the client
  set on the limiter (Retry-After, else the default), so tenacity itself waits 0 before it;
- ``QboUnavailableError`` (5xx, timeouts, dropped connections): idempotent calls only, with exponential
  backoff and jitter.

Idempotent calls are reads and writes that carry a ``requestid``. ``QboLimiterTimeout`` (our own limiter
had no slot in time) and every other error (4xx, auth, stale object) are never retried.
"""

from __future__ import annotations

import random
from collections.abc import Callable

import tenacity

from infra.interfaces.errors import QboThrottledError, QboUnavailableError
from infra.qbo.config import QboClientConfig
from infra.qbo.errors import QboLimiterTimeout, QboRequestNotSent

__all__ = ["Backoff", "is_retryable", "retrying"]


def is_retryable(exc: BaseException, idempotent: bool) -> bool:
    if isinstance(exc, QboRequestNotSent):
        return True
    if isinstance(exc, QboLimiterTimeout):
        return False
    if isinstance(exc, QboThrottledError):
        return idempotent
    if isinstance(exc, QboUnavailableError):
        return idempotent and (exc.status_code is None or exc.status_code >= 500)
    return False


class Backoff(tenacity.wait.wait_base):
    """Exponential backoff with "equal jitter": before retry n, a value in [d/2, d],
    d = min(max, base * 2**(n-1)); zero after a throttle (the limiter pause does that wait)."""

    def __init__(self, base: float, maximum: float, rng: Callable[[float, float], float] = random.uniform
                 ) -> None:
        self.base = base
        self.maximum = maximum
        self.rng = rng

    def __call__(self, retry_state: tenacity.RetryCallState) -> float:
        outcome = retry_state.outcome
        if outcome is not None and isinstance(outcome.exception(), QboThrottledError):
            return 0.0
        d = min(self.maximum, self.base * 2 ** (retry_state.attempt_number - 1))
        return d / 2 + self.rng(0.0, d / 2)


def retrying(config: QboClientConfig, idempotent: bool, sleep: Callable[[float], None],
             before_sleep: Callable[[tenacity.RetryCallState], None] | None = None) -> tenacity.Retrying:
    """A fresh ``Retrying`` for one call (tenacity keeps per-call state on it)."""
    return tenacity.Retrying(
        stop=tenacity.stop_after_attempt(config.max_attempts),
        wait=Backoff(config.backoff_base_seconds, config.backoff_max_seconds),
        retry=tenacity.retry_if_exception(lambda exc: is_retryable(exc, idempotent)),
        sleep=sleep,
        before_sleep=before_sleep,
        reraise=True,
    )
