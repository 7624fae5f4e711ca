"""A local QuickBooks Online sandbox: QBO's v3 data API, Intuit's OAuth endpoints and webhooks, served
from memory with deterministic seeded companies, throttling limits and switchable faults.

A QBO client (ours, or python-quickbooks with intuitlib) runs against it by changing base URLs only:
API base ``SandboxServer.api_base_url`` (``.../v3``), token endpoint ``.token_url``, OpenID discovery
``.discovery_url``.

Modules, from the data up:
    clock            injectable clock (ManualClock for tests), QBO timestamp formats
    config           SandboxConfig, LimitSettings, LatencySettings
    encoding         JSON with Decimal money
    entities         the modelled entities and their fields
    query            the query language (parse_query, run_query)
    rules            QBO business rules applied to writes
    store            RealmStore: one company's data, reads, CDC, writes, requestid memory, outbox
    seed             seed_company: deterministic realistic data, company profiles (cash, burn, overdue)
    reports          build_report: AgedPayables/AgedReceivables (summary, detail), ProfitAndLoss
    pdf              render_sales_form_pdf: invoice and sales receipt PDFs
    auth             OAuthService: apps, connections, bound codes, scopes, rotating refresh tokens
    idtoken          IdTokenSigner: RS256 id_tokens and the JWKS that verifies them
    limits           per-realm limits: per second, per minute, in flight, batch per minute
    fault_injection  FaultInjector: latency, throttle bursts, 5xx, dropped connections, malformed rows
    counters         SandboxCounters: what tests assert on
    webhooks         signed, batched change notifications (sign_webhook_body)
    state            SandboxState: all of the above for one sandbox instance
    data_api, oauth_api, admin_api, app   the HTTP surface (create_sandbox_app)
    server           SandboxServer (background thread), serve_forever, main

This package imports nothing from ``domains``, ``runway`` or other ``infra`` packages.
"""

from .app import create_sandbox_app
from .auth import InvalidGrant, OAuthService, TokenSet
from .clock import Clock, ManualClock, SystemClock
from .config import LatencySettings, LimitSettings, SandboxConfig
from .counters import SandboxCounters
from .errors import QboFault
from .fault_injection import FaultInjector
from .query import parse_query
from .reports import build_report
from .seed import COMPANY_PROFILES, CompanyProfile, seed_company
from .server import SandboxServer, main, serve_forever
from .state import SandboxState, UnknownRealm
from .store import ChangeEvent, RealmStore, SentEmail
from .webhooks import sign_webhook_body, verify_webhook_signature

__all__ = [
    "COMPANY_PROFILES",
    "ChangeEvent",
    "Clock",
    "CompanyProfile",
    "FaultInjector",
    "InvalidGrant",
    "LatencySettings",
    "LimitSettings",
    "ManualClock",
    "OAuthService",
    "QboFault",
    "RealmStore",
    "SandboxConfig",
    "SandboxCounters",
    "SandboxServer",
    "SandboxState",
    "SentEmail",
    "SystemClock",
    "TokenSet",
    "UnknownRealm",
    "build_report",
    "create_sandbox_app",
    "main",
    "parse_query",
    "seed_company",
    "serve_forever",
    "sign_webhook_body",
    "verify_webhook_signature",
]
