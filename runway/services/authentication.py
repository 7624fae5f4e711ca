"""Who is calling: API tokens and the advisor behind one.

Tokens are ``rk_`` followed by 43 URL-safe characters (256 random bits). Only their SHA-256 digest is
stored; a request's token is hashed and looked up by that digest through a unique index, so no secret is
ever compared byte by byte (nothing to time) and a copy of the database holds nothing to replay. With 256
bits of entropy a plain SHA-256 is enough: there is nothing to brute-force, so no slow hash or salt.

Which businesses an advisor may see is the portfolio's rule (``PortfolioService.business_for_firm``).
The token store is a port (``infra.interfaces.access.ApiTokenStore``) that the composition root hands in.
"""

from __future__ import annotations

import contextlib
import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from domains.core.clock import Clock
from domains.core.errors import DomainError
from infra.interfaces.access import AdvisorRecord, ApiTokenStore
from infra.interfaces.errors import StorageError
from infra.interfaces.patterns import local_read, local_write
from infra.interfaces.records import FirmRecord

TOKEN_PREFIX = "rk_"
TOKEN_RANDOM_BYTES = 32
DISPLAY_PREFIX_LENGTH = 10  # "rk_" and 7 characters: enough to tell tokens apart, far too few to guess one
MAX_TOKEN_LENGTH = 200
# last_used_at is written at most this often per token, so authentication stays a read.
USED_AT_RESOLUTION = timedelta(hours=1)


class Unauthenticated(DomainError):
    """No token, or a token that does not identify an active advisor. The message never says which
    (unknown and revoked tokens read the same)."""


@local_read
def new_token() -> str:
    """A new API token (shown once to its owner, then only its digest is kept)."""
    return TOKEN_PREFIX + secrets.token_urlsafe(TOKEN_RANDOM_BYTES)


@local_read
def token_digest(token: str) -> str:
    """The SHA-256 hex digest a token is stored and looked up by."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


@dataclass(frozen=True, slots=True)
class Principal:
    """An authenticated caller: the advisor, their firm and the token they used."""

    advisor: AdvisorRecord
    firm: FirmRecord
    token_id: int


class AuthenticationService:
    """Authentication of API tokens.

    Contract: ``authenticate`` answers the advisor behind an active token or raises ``Unauthenticated``
    (the same message for a malformed, unknown, revoked or expired token). It stamps the token's ``last_used_at``
    at most once per ``USED_AT_RESOLUTION``; a failed stamp never refuses a valid token.
    """

    def __init__(self, tokens: ApiTokenStore, clock: Clock) -> None:
        self._tokens = tokens
        self._clock = clock

    @local_write
    def authenticate(self, token: str | None) -> Principal:
        if not token:
            raise Unauthenticated("an API token is required")
        if not token.startswith(TOKEN_PREFIX) or len(token) > MAX_TOKEN_LENGTH:
            raise Unauthenticated("the API token is not valid")
        owner = self._tokens.find_by_hash(token_digest(token))
        now = self._clock.now()
        if owner is None or not owner.token.usable_at(now):
            raise Unauthenticated("the API token is not valid")
        last = owner.token.last_used_at
        if last is None or now - last >= USED_AT_RESOLUTION:
            # Bookkeeping only: a failed write must not refuse a valid token.
            with contextlib.suppress(StorageError):
                self._tokens.mark_used(owner.token.id, now)
        return Principal(owner.advisor, owner.firm, owner.token.id)
