"""Connecting QBO companies: storing their tokens (encrypted) and registering them as client businesses."""

from __future__ import annotations

from infra.db.repositories.businesses import SqlBusinessDirectory
from infra.db.token_store import generate_encryption_key as _generate_key
from infra.interfaces.errors import RecordNotFound
from infra.interfaces.records import BusinessRecord
from infra.qbo import OAuthTokens
from runway.bootstrap.container import Container
from runway.bootstrap.errors import ConfigurationError


def generate_encryption_key() -> str:
    """A new key for ``RUNWAY_TOKEN_ENCRYPTION_KEY``."""
    return _generate_key()


def connect_company(container: Container, *, firm_name: str, business_name: str, realm_id: str,
                    refresh_token: str | None = None, authorization_code: str | None = None,
                    redirect_uri: str | None = None) -> BusinessRecord:
    """Register a client business for a QBO company and store its tokens (encrypted).

    Give either the ``refresh_token`` QBO issued (the local sandbox prints one per realm) or an OAuth
    ``authorization_code`` with its ``redirect_uri`` (the real Intuit flow). Returns the firm's business for
    the realm: the existing one when this firm already connected it, else a new one (the firm is created
    when there is none by that name). Another firm may connect the same realm: it gets a business (and a
    mirror) of its own, while the tokens, kept per realm, are shared, and so are QBO's limits (per realm).
    """
    if container.qbo_client is None or container.token_store is None:
        raise ConfigurationError("QBO is not configured: set RUNWAY_QBO_API_BASE_URL, RUNWAY_QBO_CLIENT_ID, "
                                 "RUNWAY_QBO_CLIENT_SECRET and RUNWAY_TOKEN_ENCRYPTION_KEY")
    if (refresh_token is None) == (authorization_code is None):
        raise ConfigurationError("give exactly one of a refresh token or an authorization code")
    if authorization_code is not None:
        if not redirect_uri:
            raise ConfigurationError("an authorization code needs the redirect URI it was issued for")
        container.qbo_client.exchange_authorization_code(realm_id, authorization_code, redirect_uri)
    else:
        container.token_store.save(OAuthTokens(realm_id=realm_id, refresh_token=refresh_token or ""))
    directory = SqlBusinessDirectory(container.session_factory)
    firm = next((f for f in directory.list_firms() if f.name == firm_name), None)
    firm = firm or container.writer.create_firm(firm_name)
    try:
        return directory.get_business_by_realm(firm.id, realm_id)
    except RecordNotFound:
        return container.writer.create_business(firm.id, business_name, realm_id)
