"""Webhooks: tell a receiver which entities changed, signed the way Intuit signs.

Changes made through the API or the Python write API are queued as ``ChangeEvent``s; a background
thread waits ``batch_seconds`` after the first event of a batch (Intuit aggregates too), then POSTs

    {"eventNotifications": [{"realmId": "...", "dataChangeEvent": {"entities": [
        {"name": "Bill", "id": "12", "operation": "Update", "lastUpdated": "2026-11-20T17:15:02.000Z"}]}}]}

with header ``intuit-signature: base64(HMAC-SHA256(verifier token, raw body))``. A failed delivery
(network error or non-2xx) is retried with a short backoff up to ``max_attempts`` times, then counted
as failed and dropped. Webhooks are off while no URL is configured (events are not kept).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import queue
import threading
import time
from collections.abc import Sequence
from datetime import UTC

import httpx

from .counters import SandboxCounters
from .store import ChangeEvent


def sign_webhook_body(verifier_token: str, body: bytes | str) -> str:
    """The ``intuit-signature`` value for ``body``: base64(HMAC-SHA256(verifier_token, body))."""
    raw = body.encode() if isinstance(body, str) else body
    return base64.b64encode(hmac.new(verifier_token.encode(), raw, hashlib.sha256).digest()).decode()


def verify_webhook_signature(verifier_token: str, body: bytes | str, signature: str) -> bool:
    """Constant-time check of an ``intuit-signature`` header."""
    return hmac.compare_digest(sign_webhook_body(verifier_token, body), signature or "")


def notification_body(events: Sequence[ChangeEvent]) -> bytes:
    """The JSON body for ``events``, one ``eventNotifications`` entry per realm (in first-seen order)."""
    by_realm: dict[str, list[dict]] = {}
    for event in events:
        last_updated = event.last_updated.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")
        by_realm.setdefault(event.realm_id, []).append(
            {"name": event.entity, "id": event.entity_id, "operation": event.operation, "lastUpdated": last_updated})
    notifications = [{"realmId": realm, "dataChangeEvent": {"entities": entities}}
                     for realm, entities in by_realm.items()]
    return json.dumps({"eventNotifications": notifications}, separators=(",", ":")).encode()


class WebhookDispatcher:
    """Batches change events and delivers them from one daemon thread (started on first use)."""

    def __init__(self, *, url: str | None, verifier_token: str, counters: SandboxCounters,
                 batch_seconds: float = 0.2, timeout_seconds: float = 5.0, max_attempts: int = 3) -> None:
        self.url = url
        self.verifier_token = verifier_token
        self.batch_seconds = batch_seconds
        self.timeout_seconds = timeout_seconds
        self.max_attempts = max_attempts
        self._counters = counters
        self._queue: queue.Queue[ChangeEvent | None] = queue.Queue()
        self._pending = 0  # queued or being delivered; guarded by _idle
        self._idle = threading.Condition()
        self._thread: threading.Thread | None = None
        self._stopping = False

    def configure(self, *, url: str | None, verifier_token: str | None = None) -> None:
        """Point webhooks at ``url`` (None turns them off)."""
        self.url = url
        if verifier_token is not None:
            self.verifier_token = verifier_token

    def enqueue(self, event: ChangeEvent) -> None:
        """Queue one change (called by realm stores under their lock: must not block)."""
        if self.url is None or self._stopping:
            return
        with self._idle:
            self._pending += 1
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="qbo-sandbox-webhooks", daemon=True)
                self._thread.start()
        self._queue.put(event)

    def flush(self, timeout: float = 5.0) -> bool:
        """Wait until every queued event was delivered (or given up on); False on timeout."""
        with self._idle:
            return self._idle.wait_for(lambda: self._pending == 0, timeout)

    def stop(self, timeout: float = 2.0) -> None:
        self._stopping = True
        if self._thread is not None:
            self._queue.put(None)
            self._thread.join(timeout)

    # ------------------------------------------------------------------------------ delivery thread

    def _run(self) -> None:
        with httpx.Client(timeout=self.timeout_seconds) as client:
            while True:
                first = self._queue.get()
                if first is None:
                    return
                batch = [first]
                deadline = time.monotonic() + self.batch_seconds
                while (left := deadline - time.monotonic()) > 0:
                    try:
                        event = self._queue.get(timeout=left)
                    except queue.Empty:
                        break
                    if event is None:
                        self._deliver(client, batch)
                        return
                    batch.append(event)
                self._deliver(client, batch)

    def _deliver(self, client: httpx.Client, batch: list[ChangeEvent]) -> None:
        try:
            url = self.url
            if url is None:
                return
            body = notification_body(batch)
            headers = {"content-type": "application/json",
                       "intuit-signature": sign_webhook_body(self.verifier_token, body)}
            for attempt in range(1, self.max_attempts + 1):
                try:
                    response = client.post(url, content=body, headers=headers)
                    if response.is_success:
                        self._counters.add("webhook_posts")
                        self._counters.add("webhook_events", len(batch))
                        return
                except httpx.HTTPError:
                    pass
                if attempt < self.max_attempts:
                    time.sleep(0.1 * 2 ** attempt)
            self._counters.add("webhook_failures")
        finally:
            with self._idle:
                self._pending -= len(batch)
                self._idle.notify_all()
