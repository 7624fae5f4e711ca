"""``SandboxState``: everything one sandbox instance knows, and the Python API tests drive it with.

The HTTP app (``app.py``) is a thin layer over this object, so anything a test can do over HTTP it can
also do here directly, and vice versa:

    state = SandboxState(SandboxConfig(realms=2, seed=7, size=2000), clock=ManualClock(start))
    realm = state.realm(state.realm_ids[0])
    refresh_token = state.connect_realm(realm.realm_id)
    realm.all_entities("Bill")                    # what the API would serve, JSON-ready
    realm.create("Bill", {...}); realm.void("Invoice", "12")
    state.faults.throttle_next(3); state.auth.expire_access_tokens()
    state.advance_clock(31 * 86400)              # needs a ManualClock
    state.counters.throttled(realm.realm_id)
"""

from __future__ import annotations

import threading
from collections.abc import Iterable

from .auth import DEFAULT_SCOPES, OAuthService, TokenSet
from .clock import Clock, ManualClock, SystemClock
from .config import SandboxConfig
from .counters import SandboxCounters
from .fault_injection import FaultInjector
from .limits import LimitEnforcer
from .seed import profile_for, seed_company
from .store import RealmStore, SentEmail
from .webhooks import WebhookDispatcher


class UnknownRealm(LookupError):
    """No company with that realm id exists in this sandbox."""


class SandboxState:
    """The store of every realm plus auth, limits, faults, counters and webhooks. Thread-safe."""

    def __init__(self, config: SandboxConfig | None = None, *, clock: Clock | None = None) -> None:
        self.config = config = config or SandboxConfig()
        self.clock: Clock = clock or SystemClock()
        self.counters = SandboxCounters()
        self.auth = OAuthService(client_id=config.client_id, client_secret=config.client_secret, clock=self.clock,
                                 access_ttl=config.access_token_ttl_seconds,
                                 refresh_ttl=config.refresh_token_ttl_seconds,
                                 code_ttl=config.authorization_code_ttl_seconds,
                                 extra_clients=config.extra_clients)
        self.limits = LimitEnforcer(config.limits, self.clock, self.counters)
        self.faults = FaultInjector(config.latency, config.fault_seed)
        self.webhooks = WebhookDispatcher(url=config.webhook_url, verifier_token=config.verifier_token,
                                          counters=self.counters, batch_seconds=config.webhook_batch_seconds,
                                          timeout_seconds=config.webhook_timeout_seconds,
                                          max_attempts=config.webhook_max_attempts)
        self._lock = threading.Lock()
        self._realms: dict[str, RealmStore] = {}
        self.reset()

    # ---------------------------------------------------------------------------------------- realms

    @property
    def realm_ids(self) -> list[str]:
        with self._lock:
            return list(self._realms)

    def realm(self, realm_id: str) -> RealmStore:
        """The store of ``realm_id``; ``UnknownRealm`` if there is none."""
        with self._lock:
            store = self._realms.get(str(realm_id))
        if store is None:
            raise UnknownRealm(realm_id)
        return store

    def has_realm(self, realm_id: str) -> bool:
        with self._lock:
            return str(realm_id) in self._realms

    def reset(self, *, seed: int | None = None, size: int | None = None) -> None:
        """Re-seed every realm (same realm ids and offsets). Tokens, faults and counters are kept."""
        config = self.config
        seed = config.seed if seed is None else seed
        size = config.size if size is None else size
        realms = {}
        for index, realm_id in enumerate(config.realm_ids()):
            store = seed_company(realm_id, seed, size, company_name=config.company_name(realm_id, index),
                                 utc_offset=config.utc_offset(realm_id, index), as_of=config.as_of, clock=self.clock,
                                 profile=profile_for(index, config.company_profile(realm_id, index)))
            store.add_listener(self.webhooks.enqueue)
            realms[realm_id] = store
        with self._lock:
            self._realms = realms

    # ------------------------------------------------------------------------------------------ auth

    def connect_realm(self, realm_id: str) -> str:
        """Connect the app to ``realm_id`` (what a user's consent does) and return the refresh token."""
        return self.issue_tokens(realm_id).refresh_token

    def issue_tokens(self, realm_id: str, *, scopes: Iterable[str] = DEFAULT_SCOPES) -> TokenSet:
        """Like ``connect_realm`` but returns the whole token set (access token included)."""
        self.realm(realm_id)
        return self.auth.connect(str(realm_id), scopes=scopes)

    def issue_authorization_code(self, realm_id: str, *, redirect_uri: str, client_id: str | None = None,
                                 scopes: Iterable[str] = DEFAULT_SCOPES) -> str:
        """A code for ``grant_type=authorization_code`` at the token endpoint (single use, 10 minutes),
        bound to ``redirect_uri``, the app (default: the main one) and ``scopes``, as consent produces it."""
        self.realm(realm_id)
        return self.auth.issue_authorization_code(str(realm_id), redirect_uri=redirect_uri, client_id=client_id,
                                                  scopes=scopes)

    # ------------------------------------------------------------------------------------------ misc

    def advance_clock(self, seconds: float) -> None:
        """Move the sandbox clock forward; only for a sandbox built with a ``ManualClock``."""
        if not isinstance(self.clock, ManualClock):
            raise TypeError("advance_clock needs a SandboxState built with clock=ManualClock(...)")
        self.clock.advance(seconds)

    def outbox(self, realm_id: str | None = None) -> list[SentEmail]:
        """Invoices "sent" by e-mail, of one realm or all, oldest first."""
        stores = [self.realm(realm_id)] if realm_id is not None else [self.realm(r) for r in self.realm_ids]
        return sorted((mail for store in stores for mail in store.outbox()), key=lambda mail: mail.sent_at)

    def close(self) -> None:
        """Stop background work (the webhook thread)."""
        self.webhooks.stop()
