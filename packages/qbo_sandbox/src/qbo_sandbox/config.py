"""Configuration of a sandbox instance.

``SandboxConfig`` is fixed when a ``SandboxState`` is built. The knobs that tests flip at run time
(limits on/off, latency, fault switches) are copied from it into ``state.limits`` / ``state.faults``
and changed there, so the config object always says how the sandbox *started*.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

#: UTC offsets handed to realms in turn (fixed offsets: the sandbox has no daylight-saving rules).
DEFAULT_OFFSETS: tuple[str, ...] = ("-08:00", "-05:00", "-07:00", "-06:00", "-10:00")


@dataclass(frozen=True)
class LimitSettings:
    """Intuit's per-realm throttling, as the sandbox enforces it (every limit on by default).

    requests_per_second: data requests admitted in any 1 s window (Intuit: 10 per realm and app).
    requests_per_minute: data requests admitted in any ``window_seconds`` window (Intuit: 500 per minute).
    max_concurrent:      data requests of a realm being served at once (Intuit: 10).
    batch_per_minute:    ``/batch`` requests admitted in any ``window_seconds`` window (Intuit: 40); a batch
                         request also counts towards the two request rates.
    A limit set to None is not enforced; ``enabled=False`` switches them all off. Windows are read from
    the sandbox's clock, so a test on a ``ManualClock`` fills a window and advances the clock past it.

    ``xml_throttle_body`` answers 429 with the XML fault body Intuit has been seen to send even to
    JSON clients, so client code can be tested against that variant.
    """

    enabled: bool = True
    requests_per_second: int | None = 10
    requests_per_minute: int | None = 500
    window_seconds: float = 60.0
    max_concurrent: int | None = 10
    batch_per_minute: int | None = 40
    xml_throttle_body: bool = False

    def __post_init__(self) -> None:
        for name in ("requests_per_second", "requests_per_minute", "max_concurrent", "batch_per_minute"):
            value = getattr(self, name)
            if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
                raise ValueError(f"{name} must be a positive integer or None, not {value!r}")
        if self.window_seconds <= 0:
            raise ValueError("window_seconds must be positive")


@dataclass(frozen=True)
class LatencySettings:
    """Delay added to every data-API answer: ``fixed_ms`` plus ``per_row_ms`` per returned object."""

    fixed_ms: float = 0.0
    per_row_ms: float = 0.0


@dataclass(frozen=True)
class SandboxConfig:
    """How to build a sandbox.

    realms:            realm ids, or how many realms to create (ids derived from ``seed``).
    seed, size:        seeded data per realm (``size`` = approximate entity count per realm).
    company_names:     optional names, by position or by realm id; generated when missing.
    realm_offsets:     optional UTC offsets by realm id (``"-08:00"``); default cycles ``DEFAULT_OFFSETS``.
    as_of:             the instant seeded data is "generated at" (all seeded times are <= it);
                       default: the start of the clock's current UTC day, so data is stable within a day.
    client_id/secret:  the OAuth app the token endpoint accepts; ``extra_clients`` ({client_id: secret})
                       adds more apps (codes and refresh tokens are bound to the app they were issued to).
    redirect_uris:     the redirect URIs registered for the apps; None accepts any http(s) URI.
    company_profiles:  optional profile names (see ``seed.COMPANY_PROFILES``) by position or by realm id;
                       by default realms cycle through ``seed.DEFAULT_PROFILE_ORDER`` in realm order.
    verifier_token:    webhook HMAC key; ``webhook_url`` None disables webhooks.
    minimum_minor_version: requests with a lower ``minorversion`` are refused (None: accept any).
    """

    realms: Sequence[str] | int = 1
    seed: int = 0
    size: int = 500
    company_names: Sequence[str] | Mapping[str, str] | None = None
    realm_offsets: Mapping[str, str] | None = None
    as_of: datetime | None = None
    client_id: str = "sandbox-client-id"
    client_secret: str = "sandbox-client-secret"
    extra_clients: Mapping[str, str] | None = None
    redirect_uris: Sequence[str] | None = None
    company_profiles: Sequence[str] | Mapping[str, str] | None = None
    verifier_token: str = "sandbox-verifier-token"
    webhook_url: str | None = None
    webhook_batch_seconds: float = 0.2
    webhook_timeout_seconds: float = 5.0
    webhook_max_attempts: int = 3
    access_token_ttl_seconds: int = 3600
    refresh_token_ttl_seconds: int = 100 * 24 * 3600
    authorization_code_ttl_seconds: int = 600
    minimum_minor_version: int | None = 75
    limits: LimitSettings = field(default_factory=LimitSettings)
    latency: LatencySettings = field(default_factory=LatencySettings)
    fault_seed: int = 0

    def realm_ids(self) -> list[str]:
        """The realm ids this config describes, in order. Generated ids look like Intuit's (16 digits)."""
        if isinstance(self.realms, int):
            if self.realms < 1:
                raise ValueError("at least one realm is needed")
            ids = []
            for index in range(self.realms):
                digest = hashlib.sha256(f"realm:{self.seed}:{index}".encode()).hexdigest()
                ids.append("9130" + str(int(digest, 16))[:12])
            return ids
        ids = [str(realm) for realm in self.realms]
        if not ids or len(set(ids)) != len(ids):
            raise ValueError("realm ids must be a non-empty list without duplicates")
        return ids

    def company_name(self, realm_id: str, index: int) -> str | None:
        names = self.company_names
        if names is None:
            return None
        if isinstance(names, Mapping):
            return names.get(realm_id)
        return names[index] if index < len(names) else None

    def company_profile(self, realm_id: str, index: int) -> str | None:
        """The profile asked for this realm, or None for the default rotation."""
        profiles = self.company_profiles
        if profiles is None:
            return None
        if isinstance(profiles, Mapping):
            return profiles.get(realm_id)
        return profiles[index] if index < len(profiles) else None

    def utc_offset(self, realm_id: str, index: int) -> str:
        if self.realm_offsets and realm_id in self.realm_offsets:
            return self.realm_offsets[realm_id]
        return DEFAULT_OFFSETS[index % len(DEFAULT_OFFSETS)]
