"""The real QBO client (``infra.qbo``) against the real sandbox (``qbo_sandbox``) over HTTP on loopback.

One sandbox server runs for the whole session (``sandbox_pool``, tests/fixtures/sandbox.py); the autouse
``sandbox_server`` fixture re-seeds its data, clears its faults, limits and counters before every test, so
each test sees the same company.

Time is never waited for in real seconds:

- the sandbox runs on a ``ManualClock`` (token expiry, its per-minute window, MetaData times);
- the client's token expiry reads that same clock (``QboClient(now=...)``);
- the client's limiter runs on ``VirtualTime``: its clock *is* the sandbox clock and its ``sleep`` moves the
  sandbox clock forward instead of sleeping, so when our limiter waits out a window (or a 429 pause) the
  sandbox's window moves by exactly the same amount;
- retry backoff sleeps are recorded (``Qbo.retry_sleeps``), not slept.

Only waiting for an in-flight slot is real (a condition variable, woken when a request finishes).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from infra.interfaces.records import BusinessRecord
from infra.qbo import OAuthTokens, QboClient, QboClientConfig, QboLiveGateway, RealmLimiterRegistry
from qbo_sandbox import ManualClock, SandboxConfig, SandboxServer, SandboxState
from qbo_sandbox.store import RealmStore
from tests.fakes.qbo_tokens import InMemoryTokenStore
from tests.fixtures.sandbox import SandboxPool, SandboxSetup

#: The sandbox's "now" when the session starts (the clock only moves forward from there).
START = datetime(2026, 11, 20, 17, 0, tzinfo=UTC)
SANDBOX_CONFIG = SandboxConfig(realms=2, seed=3, size=600, as_of=datetime(2026, 11, 20, tzinfo=UTC))
SANDBOX_SETUP = SandboxSetup(SANDBOX_CONFIG, start=START)
#: Client settings of every test unless it says otherwise: Intuit's limits and waits, fast backoff (recorded).
CLIENT_SETTINGS: dict = {"backoff_base_seconds": 0.01, "backoff_max_seconds": 0.05, "max_attempts": 5,
                         "throttle_default_wait_seconds": 60.0, "limiter_timeout_seconds": 600.0}


class VirtualTime:
    """The limiter's monotonic clock and sleep, on the sandbox's ``ManualClock`` (see the module docstring).

    ``sleep(d)`` moves the clock to ``t + d`` where ``t`` is the last time the sleeping thread read the
    clock (the instant its limiter computed ``d``), unless it is already later: several threads waiting for
    the same window move time as far as one real clock would, not once each.
    """

    def __init__(self, clock: ManualClock) -> None:
        self.clock = clock
        self._lock = threading.Lock()
        self._last_read = threading.local()
        self.sleeps: list[float] = []

    def now(self) -> float:
        instant = self.clock.now().timestamp()
        self._last_read.value = instant
        return instant

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self.sleeps.append(seconds)
            current = self.clock.now()
            base = getattr(self._last_read, "value", current.timestamp())
            target = datetime.fromtimestamp(base + seconds, UTC)
            target = max(target, current + timedelta(microseconds=1))  # always move: no busy loop on rounding
            self.clock.set(target)


@dataclass(frozen=True)
class Exchange:
    """One HTTP exchange the client had with the sandbox, as its transport saw it."""

    method: str
    path: str
    params: dict[str, str]
    status: int | None  # None: no answer (connection dropped)
    intuit_tid: str | None
    authorization: str | None
    sent_at: datetime  # on the sandbox clock


class RecordingTransport(httpx.BaseTransport):
    """httpx's real HTTP transport, recording every exchange (what went out, what came back)."""

    def __init__(self, clock: ManualClock) -> None:
        self._clock = clock
        self._inner = httpx.HTTPTransport(limits=httpx.Limits(max_connections=100, max_keepalive_connections=100))
        self._lock = threading.Lock()
        self.exchanges: list[Exchange] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        params = dict(request.url.params)
        sent_at = self._clock.now()
        status = tid = None
        try:
            response = self._inner.handle_request(request)
            status, tid = response.status_code, response.headers.get("intuit_tid")
            return response
        finally:
            with self._lock:
                self.exchanges.append(Exchange(request.method, request.url.path, params, status, tid,
                                               request.headers.get("authorization"), sent_at))

    def close(self) -> None:
        self._inner.close()

    def data(self) -> list[Exchange]:
        """The data-API exchanges (not the token endpoint), in order."""
        with self._lock:
            return [e for e in self.exchanges if e.path.startswith("/v3/")]

    def token(self) -> list[Exchange]:
        with self._lock:
            return [e for e in self.exchanges if e.path.startswith("/oauth2/")]


@dataclass
class Qbo:
    """A ``QboClient`` and ``QboLiveGateway`` wired to the session's sandbox for one connected realm."""

    server: SandboxServer
    state: SandboxState
    clock: ManualClock
    realm_id: str
    refresh_token: str  # the one the store was seeded with
    store: InMemoryTokenStore
    config: QboClientConfig
    time: VirtualTime
    limiters: RealmLimiterRegistry
    transport: RecordingTransport
    client: QboClient
    gateway: QboLiveGateway
    business: BusinessRecord
    retry_sleeps: list[float] = field(default_factory=list)

    @property
    def realm(self) -> RealmStore:
        return self.state.realm(self.realm_id)

    @property
    def counters(self):
        return self.state.counters

    def open_bill(self, *, linked: bool = False) -> dict:
        """A seeded bill still owed (Balance > 0), with (``linked``) or without payments applied."""
        return next(bill for bill in self.realm.all_entities("Bill", decimal=True)
                    if bill["Balance"] > 0 and bool(bill["LinkedTxn"]) == linked)

    def bank_account_id(self) -> str:
        return next(a["Id"] for a in self.realm.all_entities("Account")
                    if a["AccountType"] == "Bank" and a["Active"])

    def payment_body(self, bill: dict, amount) -> dict:
        return {"VendorRef": {"value": bill["VendorRef"]["value"]}, "PayType": "Check",
                "CheckPayment": {"BankAccountRef": {"value": self.bank_account_id()}},
                "TotalAmt": amount, "TxnDate": "2026-11-20",
                "Line": [{"Amount": amount, "LinkedTxn": [{"TxnId": bill["Id"], "TxnType": "Bill"}]}]}


@pytest.fixture(autouse=True)
def sandbox_server(sandbox_pool: SandboxPool) -> SandboxServer:
    """The session's sandbox of these tests (tests/fixtures/sandbox.py), reset before every test: the same
    company, no faults, Intuit's limits, an empty window and zero counters."""
    return sandbox_pool.fresh(SANDBOX_SETUP)


@pytest.fixture
def make_qbo(sandbox_server: SandboxServer) -> Iterator[Callable[..., Qbo]]:
    """Factory: ``make_qbo(realm_index=0, on_retry=None, **QboClientConfig changes)``; clients are closed after
    the test. ``on_retry(seconds)`` is called before each retry (after its backoff is recorded)."""
    made: list[Qbo] = []
    state = sandbox_server.state
    clock = state.clock
    assert isinstance(clock, ManualClock)

    def make(realm_index: int = 0, on_retry: Callable[[float], None] | None = None, **changes) -> Qbo:
        realm_id = state.realm_ids[realm_index]
        refresh_token = state.connect_realm(realm_id)  # a user connects the company: we hold a refresh token
        store = InMemoryTokenStore(OAuthTokens(realm_id=realm_id, refresh_token=refresh_token))
        config = QboClientConfig(api_base_url=sandbox_server.api_base_url, token_url=sandbox_server.token_url,
                                 client_id=state.config.client_id, client_secret=state.config.client_secret,
                                 **{**CLIENT_SETTINGS, **changes})
        virtual = VirtualTime(clock)
        limiters = RealmLimiterRegistry.from_config(config, clock=virtual.now, sleep=virtual.sleep)
        transport = RecordingTransport(clock)
        retry_sleeps: list[float] = []

        def retry_sleep(seconds: float) -> None:
            retry_sleeps.append(seconds)
            if on_retry is not None:
                on_retry(seconds)

        client = QboClient(config, store, limiters, transport, sleep=retry_sleep, now=clock.now)
        qbo = Qbo(sandbox_server, state, clock, realm_id, refresh_token, store, config, virtual, limiters,
                  transport, client, QboLiveGateway(client),
                  BusinessRecord(id=7, firm_id=1, name="Integration Co", qbo_realm_id=realm_id), retry_sleeps)
        made.append(qbo)
        return qbo

    yield make
    for qbo in made:
        qbo.client.close()


@pytest.fixture
def qbo(make_qbo: Callable[..., Qbo]) -> Qbo:
    """A client with the default integration settings, for the first realm."""
    return make_qbo()
