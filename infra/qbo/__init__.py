"""The QuickBooks Online adapter: a thread-safe httpx client, OAuth token refresh, a per-realm limiter,
fault translation, payload models, mapping to records and the live ``QboGateway``.

Only infra itself and the composition root import this package; domains see ``infra.interfaces``.
Wiring, once per process::

    limiters = RealmLimiterRegistry.from_config(config)
    client = QboClient(config, token_store, limiters)
    gateway = QboLiveGateway(client)
"""

from infra.qbo._json import loads as loads_json
from infra.qbo.auth import TokenManager
from infra.qbo.client import CDC_MAX_OBJECTS, MAX_PAGE_SIZE, QboClient, qbo_literal, select_statement
from infra.qbo.config import INTUIT_TOKEN_URL, MIN_MINORVERSION, QboClientConfig
from infra.qbo.errors import MalformedEntityError, QboLimiterTimeout, QboRequestNotSent
from infra.qbo.faults import Fault, FaultError, error_from_response, error_from_transport, parse_fault
from infra.qbo.gateway import QboLiveGateway, bill_payment_body
from infra.qbo.limiter import LimiterRegistry, RealmLimiter, RealmLimiterRegistry
from infra.qbo.mapping import (
    bill_payment_status,
    is_deleted,
    to_account_record,
    to_bill_payment_record,
    to_bill_record,
    to_customer_payment_record,
    to_customer_record,
    to_deleted,
    to_invoice_record,
    to_vendor_record,
)
from infra.qbo.reports import AGING_REPORTS, aging_bucket_range, to_reported_aging
from infra.qbo.tokens import ConnectionStatus, OAuthTokens, TokenStore

__all__ = [
    "loads_json",
    "AGING_REPORTS",
    "CDC_MAX_OBJECTS",
    "INTUIT_TOKEN_URL",
    "MAX_PAGE_SIZE",
    "MIN_MINORVERSION",
    "ConnectionStatus",
    "Fault",
    "FaultError",
    "MalformedEntityError",
    "OAuthTokens",
    "QboClient",
    "QboClientConfig",
    "QboLimiterTimeout",
    "QboLiveGateway",
    "QboRequestNotSent",
    "RealmLimiter",
    "RealmLimiterRegistry",
    "LimiterRegistry",
    "TokenManager",
    "TokenStore",
    "aging_bucket_range",
    "bill_payment_body",
    "bill_payment_status",
    "error_from_response",
    "error_from_transport",
    "is_deleted",
    "parse_fault",
    "qbo_literal",
    "select_statement",
    "to_account_record",
    "to_bill_payment_record",
    "to_bill_record",
    "to_customer_payment_record",
    "to_customer_record",
    "to_deleted",
    "to_invoice_record",
    "to_reported_aging",
    "to_vendor_record",
]
