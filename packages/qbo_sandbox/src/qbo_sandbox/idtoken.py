"""OpenID Connect id_tokens, signed as Intuit signs them (RS256), and the key set that verifies them.

``IdTokenSigner`` holds one RSA key pair per sandbox. The key is generated on first use (a 2048-bit key
takes tens of milliseconds, and most sandboxes never issue an id_token) and published at the JWKS URI
as a JWK with its ``kid``; every id_token names that ``kid`` in its header, so a standard JWT library
(PyJWT's ``PyJWKClient``, intuitlib's ``validate_id_token``) finds the key and verifies the signature.

The claims follow Intuit's id_token: ``iss`` (the discovery document's issuer), ``aud`` (a list holding the
client id; intuitlib reads ``aud[0]``), ``sub`` (the user), ``realmid``, ``auth_time``, ``iat``, ``exp``.
"""

from __future__ import annotations

import secrets
import threading
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

ALGORITHM = "RS256"


class IdTokenSigner:
    """Signs id_tokens with the sandbox's RSA key and publishes the public half. Thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._key: rsa.RSAPrivateKey | None = None
        self._kid = ""

    def _private_key(self) -> tuple[rsa.RSAPrivateKey, str]:
        with self._lock:
            if self._key is None:
                self._key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
                self._kid = secrets.token_hex(8)
            return self._key, self._kid

    def jwks(self) -> dict[str, list[dict[str, Any]]]:
        """The JSON Web Key Set served at the JWKS URI: the one signing key, public half only."""
        key, kid = self._private_key()
        jwk = RSAAlgorithm.to_jwk(key.public_key(), as_dict=True)
        return {"keys": [{**jwk, "kid": kid, "use": "sig", "alg": ALGORITHM}]}

    def sign(self, *, issuer: str, client_id: str, subject: str, realm_id: str, issued_at: int,
             lifetime_seconds: int) -> str:
        """An id_token for ``subject`` (compact JWS, RS256) valid from ``issued_at`` (epoch seconds)."""
        key, kid = self._private_key()
        claims = {"sub": subject, "aud": [client_id], "realmid": realm_id, "auth_time": issued_at, "iss": issuer,
                  "exp": issued_at + lifetime_seconds, "iat": issued_at}
        return jwt.encode(claims, key, algorithm=ALGORITHM, headers={"kid": kid})
