"""Who is calling, and which businesses they may see.

Tokens are ``rk_`` followed by 43 URL-safe characters (256 random bits). Only their SHA-256 digest is
stored; a request's token is hashed and looked up by that digest through a unique index, so no secret is
ever compared byte by byte (nothing to time) and a copy of the database holds nothing to replay. With 256
bits of entropy a plain SHA-256 is enough: there is nothing to brute-force, so no slow hash or salt.

Tenancy is decided in one place, ``AccessService.business_for``: a business of another firm is answered
exactly like a business that does not exist.
"""

from __future__ import annotations

import contextlib
import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from domains.access.errors import Unauthenticated
from domains.core.clock import Clock
from domains.core.errors import NotFound
from infra.interfaces.access import AdvisorRecord, ApiTokenStore
from infra.interfaces.errors import RecordNotFound, StorageError
from infra.interfaces.patterns import local_read, local_write
from infra.interfaces.ports import BusinessDirectory
from infra.interfaces.records import BusinessRecord, FirmRecord

TOKEN_PREFIX = "rk_"
TOKEN_RANDOM_BYTES = 32
DISPLAY_PREFIX_LENGTH = 10  # "rk_" and 7 characters: enough to tell tokens apart, far too few to guess one
MAX_TOKEN_LENGTH = 200
# last_used_at is written at most this often per token, so authentication stays a read.
USED_AT_RESOLUTION = timedelta(hours=1)


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


class AccessService:
    """Authentication of API tokens and the tenancy rule.

    Contract: ``authenticate`` answers the advisor behind an active token or raises ``Unauthenticated``
    (the same message for a missing, malformed, unknown or revoked token); ``business_for`` answers a
    business of the advisor's firm or raises ``NotFound`` - the same ``NotFound`` for another firm's
    business as for an id that does not exist, so the answer tells nothing about other firms.
    """

    def __init__(self, tokens: ApiTokenStore, directory: BusinessDirectory, clock: Clock) -> None:
        self._tokens = tokens
        self._directory = directory
        self._clock = clock

    @local_write
    def authenticate(self, token: str | None) -> Principal:
        if not token:
            raise Unauthenticated("an API token is required: send 'Authorization: Bearer rk_...'")
        if not token.startswith(TOKEN_PREFIX) or len(token) > MAX_TOKEN_LENGTH:
            raise Unauthenticated("the API token is not valid")
        owner = self._tokens.find_by_hash(token_digest(token))
        if owner is None or not owner.token.active:
            raise Unauthenticated("the API token is not valid")
        now = self._clock.now()
        last = owner.token.last_used_at
        if last is None or now - last >= USED_AT_RESOLUTION:
            # Bookkeeping only: a failed write must not refuse a valid token.
            with contextlib.suppress(StorageError):
                self._tokens.mark_used(owner.token.id, now)
        return Principal(owner.advisor, owner.firm, owner.token.id)

    @local_read
    def business_for(self, advisor: AdvisorRecord, business_id: int) -> BusinessRecord:
        """The business with that id if it belongs to the advisor's firm; ``NotFound`` otherwise."""
        try:
            business = self._directory.get_business(business_id)
        except RecordNotFound:
            business = None
        if business is None or business.firm_id != advisor.firm_id:
            raise NotFound("business", business_id)
        return business

    @local_read
    def businesses_of(self, advisor: AdvisorRecord) -> list[BusinessRecord]:
        """Every client business of the advisor's firm, by id."""
        return self._directory.list_businesses(advisor.firm_id)
