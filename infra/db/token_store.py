"""``TokenStore`` in the mirror database, tokens encrypted at rest with Fernet.

Rows of ``qbo_connections`` are keyed by the QBO realm id: one grant per QBO company serves every business
whose ``businesses.qbo_realm_id`` matches (several firms may connect the same company). Refresh and access
tokens are stored only as Fernet tokens (AES-128-CBC + HMAC-SHA256): the plaintext never reaches the
database.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from infra.clock import utc_now
from infra.db._base import SessionScoped, dialect_insert
from infra.db.tables import qbo_connections
from infra.interfaces.errors import StorageError
from infra.qbo.tokens import ConnectionStatus, OAuthTokens


def generate_encryption_key() -> str:
    """A new random Fernet key (URL-safe base64 text) for ``DbTokenStore``."""
    return Fernet.generate_key().decode("ascii")


class DbTokenStore(SessionScoped):
    """Implements ``infra.qbo.tokens.TokenStore``; safe to share between threads (one short transaction per
    call, no state besides the cipher).

    ``encryption_key`` is a Fernet key; several keys separated by commas rotate keys: the first encrypts,
    any decrypts (``MultiFernet``). A malformed key raises ``ValueError`` at construction.
    """

    def __init__(self, session_factory: sessionmaker[Session], encryption_key: str, *,
                 clock: Callable[[], datetime] = utc_now) -> None:
        super().__init__(session_factory)
        keys = [k.strip() for k in encryption_key.split(",") if k.strip()]
        if not keys:
            raise ValueError("an encryption key is required (see generate_encryption_key())")
        self._cipher = MultiFernet([Fernet(k.encode("ascii")) for k in keys])
        self._clock = clock

    def load(self, realm_id: str) -> OAuthTokens | None:
        with self.transaction("load QBO tokens") as session:
            row = session.execute(select(qbo_connections).where(qbo_connections.c.realm_id == realm_id)
                                  ).mappings().first()
        if row is None or row["status"] != ConnectionStatus.CONNECTED.value or row["refresh_token_enc"] is None:
            return None
        return OAuthTokens(
            realm_id=realm_id,
            refresh_token=self._decrypt(row["refresh_token_enc"], realm_id),
            access_token=None if row["access_token_enc"] is None else self._decrypt(row["access_token_enc"], realm_id),
            access_expires_at=row["access_expires_at"],
            refresh_expires_at=row["refresh_expires_at"],
        )

    def save(self, tokens: OAuthTokens) -> None:
        values = {
            "refresh_token_enc": self._encrypt(tokens.refresh_token),
            "access_token_enc": None if tokens.access_token is None else self._encrypt(tokens.access_token),
            "access_expires_at": tokens.access_expires_at,
            "refresh_expires_at": tokens.refresh_expires_at,
            "status": ConnectionStatus.CONNECTED.value,
            "reason": None,
            "updated_at": self._clock(),
        }
        self._put(tokens.realm_id, values, "save QBO tokens")

    def mark_reconnect_required(self, realm_id: str, reason: str) -> None:
        values = {
            "refresh_token_enc": None, "access_token_enc": None, "access_expires_at": None,
            "refresh_expires_at": None, "status": ConnectionStatus.RECONNECT_REQUIRED.value, "reason": reason,
            "updated_at": self._clock(),
        }
        self._put(realm_id, values, "mark a QBO connection for reconnection")

    def status(self, realm_id: str) -> tuple[ConnectionStatus, str | None]:
        with self.transaction("read a QBO connection status") as session:
            row = session.execute(select(qbo_connections.c.status, qbo_connections.c.reason)
                                  .where(qbo_connections.c.realm_id == realm_id)).first()
        if row is None:
            return ConnectionStatus.NOT_CONNECTED, None
        status = ConnectionStatus(row.status)
        return status, row.reason if status is ConnectionStatus.RECONNECT_REQUIRED else None

    # -- beyond the protocol ------------------------------------------------------------------------

    def disconnect(self, realm_id: str) -> None:
        """Forget the tokens after a person disconnected the company: status ``not_connected``."""
        values = {
            "refresh_token_enc": None, "access_token_enc": None, "access_expires_at": None,
            "refresh_expires_at": None, "status": ConnectionStatus.NOT_CONNECTED.value, "reason": None,
            "updated_at": self._clock(),
        }
        self._put(realm_id, values, "disconnect a QBO company")

    def _put(self, realm_id: str, values: dict, what: str) -> None:
        with self.transaction(what, write=True) as session:
            ins = dialect_insert(session, qbo_connections).values(realm_id=realm_id, **values)
            session.execute(ins.on_conflict_do_update(index_elements=[qbo_connections.c.realm_id], set_=values))

    def _encrypt(self, plaintext: str) -> str:
        return self._cipher.encrypt(plaintext.encode("utf-8")).decode("ascii")

    def _decrypt(self, ciphertext: str, realm_id: str) -> str:
        try:
            return self._cipher.decrypt(ciphertext.encode("ascii")).decode("utf-8")
        except InvalidToken as exc:
            raise StorageError(f"QBO tokens of realm {realm_id} cannot be decrypted with the configured "
                               "encryption key (key changed or data corrupted)") from exc
