"""Shared helpers of the QBO adapter tests: a fake clock, a recording MockTransport, a client factory."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs

import httpx
import pytest

from infra.qbo import OAuthTokens, QboClient, QboClientConfig, RealmLimiterRegistry
from tests.fakes.qbo_tokens import InMemoryTokenStore

REALM = "9130350000000001"
NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
API = "https://qbo.test/v3"
TOKEN_URL = "https://oauth.test/oauth2/v1/tokens/bearer"

CONFIG = QboClientConfig(
    api_base_url=API, token_url=TOKEN_URL, client_id="cid", client_secret="secret",
    backoff_base_seconds=0.5, backoff_max_seconds=8.0, throttle_default_wait_seconds=60.0,
)


def fresh_tokens(realm: str = REALM, access: str = "access-1", refresh: str = "refresh-1",
                 expires_in: float = 3600) -> OAuthTokens:
    return OAuthTokens(realm_id=realm, refresh_token=refresh, access_token=access,
                       access_expires_at=NOW + timedelta(seconds=expires_in),
                       refresh_expires_at=NOW + timedelta(days=100))


class FakeClock:
    """Monotonic seconds that move only when ``sleep`` is called; every sleep is recorded."""

    def __init__(self, start: float = 1000.0) -> None:
        self._lock = threading.Lock()
        self.now = start
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        with self._lock:
            return self.now

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self.sleeps.append(seconds)
            self.now += seconds


def json_response(status: int, body, *, tid: str = "tid-1", headers: dict | None = None) -> httpx.Response:
    return httpx.Response(status, content=json.dumps(body).encode(),
                          headers={"Content-Type": "application/json", "intuit_tid": tid, **(headers or {})})


def token_response(access: str = "access-2", refresh: str = "refresh-2", expires_in: int = 3600) -> httpx.Response:
    return json_response(200, {"access_token": access, "refresh_token": refresh, "token_type": "bearer",
                               "expires_in": expires_in, "x_refresh_token_expires_in": 8726400})


class FakeQbo:
    """A MockTransport handler: data requests go to ``data``, token requests to ``token``; all are recorded."""

    def __init__(self, data: Callable[[httpx.Request], httpx.Response] | None = None,
                 token: Callable[[httpx.Request], httpx.Response] | None = None) -> None:
        self.data = data or (lambda request: json_response(200, {"QueryResponse": {}}))
        self.token = token or (lambda request: token_response())
        self._lock = threading.Lock()
        self.requests: list[httpx.Request] = []
        self.token_requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        request.read()
        if str(request.url).startswith(TOKEN_URL):
            with self._lock:
                self.token_requests.append(request)
            return self.token(request)
        with self._lock:
            self.requests.append(request)
        return self.data(request)

    @property
    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self)


def form(request: httpx.Request) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(request.content.decode()).items()}


class Harness:
    """A client wired to a FakeQbo, an in-memory token store and a fake clock."""

    def __init__(self, data=None, token=None, *, store: InMemoryTokenStore | None = None,
                 clock: FakeClock | None = None, registry: RealmLimiterRegistry | None = None,
                 **config_changes) -> None:
        self.qbo = FakeQbo(data, token)
        self.store = store if store is not None else InMemoryTokenStore(fresh_tokens())
        self.clock = clock or FakeClock()
        self.config = replace(CONFIG, **config_changes)
        self.registry = registry or RealmLimiterRegistry.from_config(self.config, clock=self.clock,
                                                                     sleep=self.clock.sleep)
        self.retry_sleeps: list[float] = []
        self.client = QboClient(self.config, self.store, self.registry, self.qbo.transport,
                                sleep=self.retry_sleeps.append, now=lambda: NOW)


@pytest.fixture
def harness_factory():
    made: list[Harness] = []

    def make(data=None, token=None, **kwargs) -> Harness:
        h = Harness(data, token, **kwargs)
        made.append(h)
        return h

    yield make
    for h in made:
        h.client.close()
