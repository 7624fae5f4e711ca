"""QBO webhooks: verify Intuit's signature, turn the notification into sync requests.

A notification is a hint that some entities of some companies changed, never data: it may arrive late,
twice, or aggregated, so it only enqueues a sync of the named entities (``SyncRequestQueue``, where
bursts coalesce), and the sync reads QBO itself. Both formats Intuit sends are understood:

- ``{"eventNotifications": [{"realmId": "...", "dataChangeEvent": {"entities": [{"name": "Bill", ...}]}}]}``
- CloudEvents: ``[{"specversion": "1.0", "type": "qbo.bill.updated.v1", "intuitaccountid": "<realm>",
  "intuitentityid": "...", ...}]``

The ``intuit-signature`` header is base64(HMAC-SHA256(verifier token, raw body)); anything else is
refused before the body is even parsed (``WebhookSignatureError``: answer 401).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from infra.interfaces.records import Entity
from infra.jobs.engine import SyncEngine
from infra.jobs.queue import SyncRequestQueue

__all__ = [
    "SIGNATURE_HEADER",
    "WebhookError",
    "WebhookHandler",
    "WebhookOutcome",
    "WebhookPayloadError",
    "WebhookSignatureError",
    "verify_intuit_signature",
]

logger = logging.getLogger("infra.jobs.webhooks")

SIGNATURE_HEADER = "intuit-signature"
_BY_LOWER = {entity.value.lower(): entity for entity in Entity}


class WebhookError(Exception):
    """A webhook delivery was refused."""


class WebhookSignatureError(WebhookError):
    """The ``intuit-signature`` header is missing or does not match the body (answer 401)."""


class WebhookPayloadError(WebhookError):
    """The body is signed but not a notification this handler can read (answer 400)."""


def verify_intuit_signature(verifier_token: str, raw_body: bytes, header: str | None) -> bool:
    """True when ``header`` is base64(HMAC-SHA256(``verifier_token``, ``raw_body``)); compared in constant
    time. A missing or malformed header, or an empty verifier token, is False."""
    if not verifier_token or not header:
        return False
    try:
        given = base64.b64decode(header.strip(), validate=True)
    except (binascii.Error, ValueError):
        return False
    expected = hmac.new(verifier_token.encode(), raw_body, hashlib.sha256).digest()
    return hmac.compare_digest(expected, given)


@dataclass
class WebhookOutcome:
    """What a delivery led to: ``enqueued`` business id -> entities asked for (merged into the pending
    request of the business; every business on a notified realm gets one), realms not connected to any
    business (ignored), entity names this product does not mirror (ignored)."""

    enqueued: dict[int, frozenset[Entity]] = field(default_factory=dict)
    request_ids: dict[int, int] = field(default_factory=dict)
    unknown_realms: int = 0
    unknown_realm_ids: list[str] = field(default_factory=list)
    ignored_entities: int = 0
    notifications: int = 0


class WebhookHandler:
    """Verifies and reads Intuit webhook deliveries and enqueues syncs.

    ``directory_lookup(realm_id)`` names every business connected to a QBO company (empty when there is
    none, e.g. ``SyncStore.business_ids_for_realm``): several firms may connect the same company, each
    business keeps its own mirror, so a notification of the realm asks for a sync of each of them.
    """

    def __init__(self, queue: SyncRequestQueue | SyncEngine, directory_lookup: Callable[[str], Sequence[int]],
                 verifier_token: str) -> None:
        if not verifier_token:
            raise ValueError("a webhook verifier token is required")
        self.queue = queue
        self.lookup = directory_lookup
        self.verifier_token = verifier_token

    def handle(self, raw_body: bytes, signature: str | None) -> WebhookOutcome:
        """Verify, parse and enqueue. Raises ``WebhookSignatureError`` or ``WebhookPayloadError``."""
        if not verify_intuit_signature(self.verifier_token, raw_body, signature):
            raise WebhookSignatureError("missing or invalid intuit-signature")
        try:
            body = json.loads(raw_body)
        except (ValueError, UnicodeDecodeError) as exc:
            raise WebhookPayloadError(f"the body is not JSON: {exc}") from exc
        outcome = WebhookOutcome()
        by_realm: dict[str, set[Entity]] = {}
        for realm_id, name in _changes(body):
            outcome.notifications += 1
            entity = _BY_LOWER.get(name.lower()) if name else None
            by_realm.setdefault(realm_id, set())
            if entity is None:
                outcome.ignored_entities += 1
            else:
                by_realm[realm_id].add(entity)
        for realm_id, entities in by_realm.items():
            business_ids = self.lookup(realm_id)
            if not business_ids:
                outcome.unknown_realms += 1
                outcome.unknown_realm_ids.append(realm_id)
                logger.info("webhook for realm %s, which no business is connected to: ignored", realm_id)
                continue
            if not entities:
                continue
            for business_id in business_ids:
                request = self.queue.enqueue(business_id, entities, "webhook")
                outcome.enqueued[business_id] = frozenset(entities)
                outcome.request_ids[business_id] = request.id
        return outcome


def _changes(body: Any) -> list[tuple[str, str | None]]:
    """(realm id, entity name) for every change a notification names, in either format."""
    changes: list[tuple[str, str | None]] = []
    if isinstance(body, dict) and "eventNotifications" in body:
        notifications = body["eventNotifications"]
        if not isinstance(notifications, list):
            raise WebhookPayloadError("eventNotifications is not a list")
        for notification in notifications:
            if not isinstance(notification, dict) or not notification.get("realmId"):
                raise WebhookPayloadError("an event notification has no realmId")
            realm_id = str(notification["realmId"])
            event = notification.get("dataChangeEvent") or {}
            entities = event.get("entities") if isinstance(event, dict) else None
            if not isinstance(entities, list):
                raise WebhookPayloadError(f"the notification of realm {realm_id} has no entity list")
            for item in entities:
                name = item.get("name") if isinstance(item, dict) else None
                changes.append((realm_id, str(name) if name else None))
        return changes
    if isinstance(body, list):  # CloudEvents
        for event in body:
            if not isinstance(event, dict):
                raise WebhookPayloadError("a CloudEvent is not an object")
            realm_id = event.get("intuitaccountid") or event.get("intuitAccountId")
            if not realm_id:
                raise WebhookPayloadError("a CloudEvent has no intuitaccountid")
            kind = str(event.get("type") or "")
            parts = kind.split(".")
            name = parts[1] if len(parts) >= 3 and parts[0] == "qbo" else None
            changes.append((str(realm_id), name))
        return changes
    raise WebhookPayloadError("neither eventNotifications nor a CloudEvents array")
