"""Webhooks: changes made through the API and the Python API reach a receiver, signed like Intuit's."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from quickbooks import QuickBooks

from qbo_sandbox import sign_webhook_body, verify_webhook_signature

VERIFIER = "verifier-token-for-tests"


class Receiver:
    """A tiny HTTP server recording every POST; answers 500 to the first ``fail_first`` of them."""

    def __init__(self, fail_first: int = 0) -> None:
        self.posts: list[tuple[dict[str, str], bytes]] = []
        self.fail_first = fail_first
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.posts.append(({key.lower(): value for key, value in self.headers.items()}, body))
                failing = len(receiver.posts) <= receiver.fail_first
                self.send_response(500 if failing else 200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/webhooks/qbo"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def entities(self) -> list[dict]:
        return [entity for _, body in self.posts
                for notification in json.loads(body)["eventNotifications"]
                for entity in notification["dataChangeEvent"]["entities"]]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    receiver = Receiver()
    yield receiver
    receiver.close()


def test_api_and_python_changes_are_posted_with_a_valid_signature(make_sandbox, receiver) -> None:
    sandbox = make_sandbox(webhook_url=receiver.url, verifier_token=VERIFIER, webhook_batch_seconds=0.05)
    invoice = sandbox.open_invoice()

    created = sandbox.client.post("vendor", json={"DisplayName": "Webhook Vendor"}).json()["Vendor"]
    sandbox.realm.void("Invoice", invoice["Id"])  # the Python write API notifies too
    assert sandbox.state.webhooks.flush(5)

    assert receiver.posts
    for headers, body in receiver.posts:
        assert headers["intuit-signature"] == sign_webhook_body(VERIFIER, body)
        assert verify_webhook_signature(VERIFIER, body, headers["intuit-signature"])
        assert QuickBooks(minorversion=75).validate_webhook_signature(body.decode(), headers["intuit-signature"],
                                                                      VERIFIER)
        assert [n["realmId"] for n in json.loads(body)["eventNotifications"]] == [sandbox.realm_id]
    events = {(e["name"], e["id"], e["operation"]) for e in receiver.entities()}
    assert ("Vendor", created["Id"], "Create") in events
    assert ("Invoice", invoice["Id"], "Void") in events
    assert all(e["lastUpdated"] == "2026-11-20T17:00:00.000Z" for e in receiver.entities())
    assert sandbox.state.counters.get("webhook_events") == len(receiver.entities())


def test_a_failed_delivery_is_retried(make_sandbox) -> None:
    receiver = Receiver(fail_first=1)
    try:
        sandbox = make_sandbox(webhook_url=receiver.url, verifier_token=VERIFIER, webhook_batch_seconds=0.01)
        sandbox.realm.create("Customer", {"DisplayName": "Retry Customer"})
        assert sandbox.state.webhooks.flush(5)
    finally:
        receiver.close()

    assert len(receiver.posts) == 2 and receiver.posts[0][1] == receiver.posts[1][1]
    assert sandbox.state.counters.get("webhook_posts") == 1
    assert sandbox.state.counters.get("webhook_failures") == 0


def test_no_url_means_no_webhooks(sandbox) -> None:
    sandbox.realm.create("Customer", {"DisplayName": "Quiet Customer"})

    assert sandbox.state.webhooks.flush(1)
    assert sandbox.state.counters.get("webhook_posts") == 0


def test_signature_is_base64_hmac_sha256_of_the_raw_body() -> None:
    body = b'{"eventNotifications":[]}'
    expected = base64.b64encode(hmac.new(b"key", body, hashlib.sha256).digest()).decode()

    assert sign_webhook_body("key", body) == expected == sign_webhook_body("key", body.decode())
    assert not verify_webhook_signature("other", body, expected)
