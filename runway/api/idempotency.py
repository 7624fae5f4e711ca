"""The HTTP side of idempotent requests: the ``Idempotency-Key`` header and request fingerprints.

What a key means (bound to its first request, the first answer replayed) is
``runway.services.idempotency.IdempotencyService``; this module only turns an HTTP request into what that
service takes: a checked key and a fingerprint of the request.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from domains.core.errors import InvalidInput
from runway.services.idempotency import MAX_KEY_LENGTH, is_valid_key

KEY_HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotency-Replayed"


def fingerprint(method: str, path: str, body: Any) -> str:
    """A stable digest of a request: the same method, path and (JSON-able) body give the same digest."""
    canonical = json.dumps({"method": method.upper(), "path": path, "body": body}, sort_keys=True,
                           separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def check_key_header(key: str) -> str:
    """The ``Idempotency-Key`` header's value as given, or ``InvalidInput`` naming the header."""
    if not is_valid_key(key):
        raise InvalidInput(KEY_HEADER, f"{KEY_HEADER} must be 1 to {MAX_KEY_LENGTH} printable ASCII characters")
    return key
