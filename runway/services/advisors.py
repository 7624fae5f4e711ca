"""Advisors and their API tokens (the ``runway advisor`` and ``runway token`` commands).

The advisor directory and the token store are ports (``infra.interfaces.access``) that the composition root
hands in; only a token's digest is ever stored (see ``runway.services.authentication``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta

from domains.core.clock import Clock
from domains.core.errors import InvalidInput, NotFound
from infra.interfaces.access import AdvisorDirectory, AdvisorRecord, ApiTokenRecord, ApiTokenStore
from infra.interfaces.patterns import local_read, local_write
from infra.interfaces.records import FirmRecord
from runway.services.authentication import DISPLAY_PREFIX_LENGTH, new_token, token_digest

DEFAULT_TOKEN_LIFETIME = timedelta(days=90)
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


@dataclass(frozen=True, slots=True)
class IssuedToken:
    """A token just created: ``token`` is the secret, shown once and never stored."""

    token: str
    record: ApiTokenRecord
    advisor: AdvisorRecord


@local_read
def normalize_email(email: str) -> str:
    value = (email or "").strip().lower()
    if len(value) > 320 or not _EMAIL.match(value):
        raise InvalidInput("email", f"not an e-mail address: {email!r}")
    return value


class AdvisorAdminService:
    """Advisors and API tokens.

    Contract: ``create_advisor`` adds an advisor to a firm named by name (created only when asked) and
    raises ``InvalidInput`` for a bad or taken e-mail address and ``NotFound`` for an unknown firm;
    ``create_token`` issues a new token for an advisor by e-mail, expiring after the configured lifetime
    (``RUNWAY_TOKEN_LIFETIME_DAYS``), and stores only its digest;
    ``revoke_token`` and ``tokens_of`` raise ``NotFound`` for an unknown advisor or a token not theirs.
    """

    def __init__(self, advisors: AdvisorDirectory, tokens: ApiTokenStore, clock: Clock, *,
                 token_lifetime: timedelta | None = DEFAULT_TOKEN_LIFETIME) -> None:
        self._advisors = advisors
        self._tokens = tokens
        self._clock = clock
        self._token_lifetime = token_lifetime

    @local_write
    def create_advisor(self, firm_name: str, email: str, name: str | None = None, *,
                       create_firm: bool = False) -> tuple[AdvisorRecord, FirmRecord]:
        firm_name = (firm_name or "").strip()
        if not firm_name or len(firm_name) > 200:
            raise InvalidInput("firm", "the firm name must be 1 to 200 characters")
        address = normalize_email(email)
        if name is not None and len(name) > 200:
            raise InvalidInput("name", "the name must be at most 200 characters")
        firm = self._advisors.find_firm_by_name(firm_name)
        if firm is None:
            if not create_firm:
                raise NotFound("firm", firm_name)
            firm = self._advisors.create_firm(firm_name)
        if self._advisors.find_advisor_by_email(address) is not None:
            raise InvalidInput("email", f"an advisor with e-mail {address} already exists")
        return self._advisors.create_advisor(firm.id, address, name, self._clock.now()), firm

    @local_write
    def create_token(self, email: str, label: str | None = None, *, lifetime: timedelta | None = None
                     ) -> IssuedToken:
        """A new token, expiring after ``lifetime`` (the service's default lifetime when None)."""
        advisor = self._advisors.find_advisor_by_email(normalize_email(email))
        if advisor is None:
            raise NotFound("advisor", email)
        if label is not None and (len(label) > 200 or not label.isprintable()):
            raise InvalidInput("label", "the label must be at most 200 printable characters")
        lifetime = lifetime if lifetime is not None else self._token_lifetime
        if lifetime is not None and lifetime <= timedelta(0):
            raise InvalidInput("lifetime", "a token's lifetime must be positive")
        token = new_token()
        now = self._clock.now()
        record = self._tokens.add_token(advisor.id, token_digest(token), token[:DISPLAY_PREFIX_LENGTH], label,
                                        now, None if lifetime is None else now + lifetime)
        return IssuedToken(token, record, advisor)

    @local_write
    def revoke_token(self, email: str, token_id: int) -> None:
        advisor = self._advisors.find_advisor_by_email(normalize_email(email))
        if advisor is None or all(t.id != token_id for t in self._tokens.list_tokens(advisor.id)):
            raise NotFound("token", token_id)
        self._tokens.revoke(token_id, self._clock.now())

    @local_read
    def tokens_of(self, email: str) -> list[ApiTokenRecord]:
        advisor = self._advisors.find_advisor_by_email(normalize_email(email))
        if advisor is None:
            raise NotFound("advisor", email)
        return self._tokens.list_tokens(advisor.id)
