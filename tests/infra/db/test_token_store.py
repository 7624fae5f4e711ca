"""DbTokenStore: QBO OAuth tokens encrypted at rest, per realm."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import select

from infra.db.tables import qbo_connections
from infra.db.token_store import DbTokenStore, generate_encryption_key
from infra.interfaces.errors import StorageError
from infra.qbo.tokens import ConnectionStatus, OAuthTokens, TokenStore
from tests.infra.db.protocols import assert_implements

NOW = datetime(2026, 3, 31, 12, 0, tzinfo=UTC)
REFRESH = "AB11712345678refresh-token-secret"
ACCESS = "eyJhbGciOiJkaXIiLCJlbmMiOiJBMTI4Q0JDLUhTMjU2In0.access-token-secret"


@pytest.fixture
def key() -> str:
    return generate_encryption_key()


@pytest.fixture
def store(db, key) -> DbTokenStore:
    return DbTokenStore(db.session_factory, key, clock=lambda: NOW)


def tokens(realm: str = "9130350000000001", refresh: str = REFRESH) -> OAuthTokens:
    return OAuthTokens(realm_id=realm, refresh_token=refresh, access_token=ACCESS,
                       access_expires_at=NOW + timedelta(hours=1), refresh_expires_at=NOW + timedelta(days=100))


def test_it_implements_the_token_store_protocol(store):
    implementation: TokenStore = store  # what a type checker verifies
    assert_implements(type(implementation), TokenStore)


def test_save_and_load(store):
    assert store.load("9130350000000001") is None
    assert store.status("9130350000000001") == (ConnectionStatus.NOT_CONNECTED, None)
    store.save(tokens())
    assert store.load("9130350000000001") == tokens()
    assert store.status("9130350000000001") == (ConnectionStatus.CONNECTED, None)
    store.save(tokens(refresh="rotated-refresh-token"))  # Intuit rotates the refresh token on each use
    assert store.load("9130350000000001").refresh_token == "rotated-refresh-token"
    assert store.load("other-realm") is None


def test_tokens_are_encrypted_at_rest(store, db, key):
    store.save(tokens())
    with db.session_factory() as session:
        row = session.execute(select(qbo_connections)).mappings().one()
    stored = " ".join(str(value) for value in row.values())
    assert REFRESH not in stored and ACCESS not in stored
    assert "refresh-token-secret" not in stored and "access-token-secret" not in stored
    assert Fernet(key.encode()).decrypt(row["refresh_token_enc"].encode()).decode() == REFRESH
    assert row["updated_at"] == NOW


def test_reconnect_required_forgets_the_tokens(store, db):
    store.save(tokens())
    store.mark_reconnect_required("9130350000000001", "invalid_grant: refresh token revoked")
    assert store.load("9130350000000001") is None
    assert store.status("9130350000000001") == (ConnectionStatus.RECONNECT_REQUIRED,
                                                "invalid_grant: refresh token revoked")
    with db.session_factory() as session:
        row = session.execute(select(qbo_connections)).mappings().one()
    assert row["refresh_token_enc"] is None and row["access_token_enc"] is None
    store.save(tokens())  # reconnected
    assert store.status("9130350000000001") == (ConnectionStatus.CONNECTED, None)
    store.mark_reconnect_required("never-connected", "no tokens")
    assert store.status("never-connected") == (ConnectionStatus.RECONNECT_REQUIRED, "no tokens")
    store.disconnect("9130350000000001")
    assert store.status("9130350000000001") == (ConnectionStatus.NOT_CONNECTED, None)
    assert store.load("9130350000000001") is None


def test_tokens_without_access_token(store):
    bare = OAuthTokens(realm_id="r", refresh_token="only-refresh")
    store.save(bare)
    assert store.load("r") == bare


def test_wrong_key_is_a_storage_error(db, store):
    store.save(tokens())
    other = DbTokenStore(db.session_factory, generate_encryption_key())
    with pytest.raises(StorageError):
        other.load("9130350000000001")


def test_key_rotation(db, key):
    DbTokenStore(db.session_factory, key).save(tokens())
    new_key = generate_encryption_key()
    rotated = DbTokenStore(db.session_factory, f"{new_key},{key}")  # new key first, old one still decrypts
    assert rotated.load("9130350000000001") == tokens()
    rotated.save(tokens(refresh="after-rotation"))
    assert DbTokenStore(db.session_factory, new_key).load("9130350000000001").refresh_token == "after-rotation"


def test_bad_keys_are_refused():
    with pytest.raises(ValueError):
        DbTokenStore(None, "")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        DbTokenStore(None, "not-a-fernet-key")  # type: ignore[arg-type]
