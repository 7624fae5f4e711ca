"""Fixtures for the QBO sandbox tests: an in-process sandbox server on a free port, with a manual clock
and an httpx client already holding an access token for the first realm."""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

import httpx
import pytest

from qbo_sandbox import LimitSettings, ManualClock, SandboxConfig, SandboxServer, SandboxState

#: The sandbox's "now" in every test: 2026-11-20 17:00 UTC (09:00 in the first realm's -08:00).
START = datetime(2026, 11, 20, 17, 0, tzinfo=UTC)
REALMS = ["9130000000000001", "9130000000000002"]
BASE_CONFIG = SandboxConfig(realms=REALMS, seed=11, size=400, company_names=["Harbor Light Landscaping"])


@dataclass
class Sandbox:
    """A running sandbox plus an authorized client for ``realm_id``."""

    server: SandboxServer
    state: SandboxState
    clock: ManualClock
    realm_id: str
    access_token: str
    refresh_token: str
    client: httpx.Client  # base URL .../v3/company/{realm_id}/, Bearer token, minorversion=75

    @property
    def realm(self):
        return self.state.realm(self.realm_id)

    def query(self, statement: str) -> httpx.Response:
        return self.client.get("query", params={"query": statement})

    def rows(self, statement: str) -> list[dict]:
        """The rows of a successful query (any entity), or [] for an empty answer."""
        response = self.query(statement)
        assert response.status_code == 200, response.text
        body = response.json()["QueryResponse"]
        lists = [value for value in body.values() if isinstance(value, list)]
        return lists[0] if lists else []

    def open_bill(self, *, paid: bool) -> dict:
        """A seeded bill with money still owed: without payments, or (``paid``) with some applied."""
        return next(bill for bill in self.realm.all_entities("Bill")
                    if bill["Balance"] > 0 and bool(bill["LinkedTxn"]) == paid)

    def open_invoice(self) -> dict:
        """A seeded invoice with no payment applied yet."""
        return next(invoice for invoice in self.realm.all_entities("Invoice")
                    if invoice["Balance"] > 0 and not invoice["LinkedTxn"])

    def authorized_client(self, realm_id: str) -> httpx.Client:
        tokens = self.state.issue_tokens(realm_id)
        return _client(self.server, realm_id, tokens.access_token)


def _client(server: SandboxServer, realm_id: str, access_token: str) -> httpx.Client:
    return httpx.Client(base_url=f"{server.api_base_url}/company/{realm_id}/",
                        headers={"Authorization": f"Bearer {access_token}", "Accept": "application/json"},
                        params={"minorversion": "75"}, timeout=10)


def start_sandbox(**overrides) -> Sandbox:
    """Start a sandbox with ``BASE_CONFIG`` changed by ``overrides`` (SandboxConfig fields)."""
    clock = ManualClock(START)
    state = SandboxState(dataclasses.replace(BASE_CONFIG, **overrides), clock=clock)
    server = SandboxServer(state).start()
    realm_id = state.realm_ids[0]
    tokens = state.issue_tokens(realm_id)
    return Sandbox(server, state, clock, realm_id, tokens.access_token, tokens.refresh_token,
                   _client(server, realm_id, tokens.access_token))


_stopping: list[threading.Thread] = []


def stop_sandbox(sandbox: Sandbox) -> None:
    """Stop in the background: uvicorn's graceful shutdown sleeps ~0.2 s, which adds up over the suite.
    ``_join_stopping_servers`` waits for them all at the end of the session."""

    def stop() -> None:
        sandbox.server.stop()
        sandbox.state.close()

    sandbox.client.close()
    thread = threading.Thread(target=stop, daemon=True)
    thread.start()
    _stopping.append(thread)


@pytest.fixture(scope="session", autouse=True)
def _join_stopping_servers() -> Iterator[None]:
    yield
    for thread in _stopping:
        thread.join(10)


@pytest.fixture
def make_sandbox() -> Iterator[Callable[..., Sandbox]]:
    """Factory: ``make_sandbox(**SandboxConfig overrides)`` starts a sandbox (stopped after the test)."""
    started: list[Sandbox] = []

    def make(**overrides) -> Sandbox:
        started.append(start_sandbox(**overrides))
        return started[-1]

    yield make
    for sandbox in started:
        stop_sandbox(sandbox)


@pytest.fixture
def sandbox(make_sandbox: Callable[..., Sandbox]) -> Sandbox:
    """A fresh sandbox with the default test config (two realms, ~400 entities each, limits on)."""
    return make_sandbox()


@pytest.fixture(scope="module")
def shared_sandbox() -> Iterator[Sandbox]:
    """One sandbox for a whole module, with limits off: for tests that only read (never mutate it)."""
    sandbox = start_sandbox(limits=LimitSettings(enabled=False))
    yield sandbox
    stop_sandbox(sandbox)


# -- python-quickbooks and intuitlib, as a new user would drive them ----------------------------------------

def sdk_client(sandbox: Sandbox, realm_id: str | None = None, *, pace_seconds: float = 0.2):
    """A python-quickbooks client for ``realm_id`` (default: the sandbox's first realm) configured only with
    the sandbox's URLs: intuitlib reads the discovery document and refreshes a fresh connection's token.

    The SDK does not pace itself, and the sandbox's clock stands still: after each data answer the clock
    moves ``pace_seconds`` on, as real time would between a script's calls, so a test's requests stay under
    Intuit's 10 per second unless it asks for a burst (``pace_seconds=0``).
    """
    from intuitlib.client import AuthClient
    from quickbooks import QuickBooks

    realm_id = realm_id or sandbox.realm_id
    config = sandbox.state.config
    auth_client = AuthClient(client_id=config.client_id, client_secret=config.client_secret,
                             redirect_uri="http://localhost/callback", environment=sandbox.server.discovery_url,
                             realm_id=realm_id)
    client = QuickBooks(auth_client=auth_client, refresh_token=sandbox.state.connect_realm(realm_id),
                        company_id=realm_id, minorversion=75, use_decimal=True)
    client.api_url_v3 = client.sandbox_api_url_v3 = sandbox.server.api_base_url
    if pace_seconds:
        def pace(response, *args, **kwargs) -> None:  # a hook returning None keeps the response as it is
            sandbox.clock.advance(pace_seconds)

        client.session.hooks["response"].append(pace)
    return client


@pytest.fixture
def insecure_transport(monkeypatch) -> None:
    """requests-oauthlib refuses plain http unless told this is a local server (its documented switch)."""
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")


@pytest.fixture
def qb(sandbox: Sandbox, insecure_transport):
    """python-quickbooks on the per-test sandbox's first realm."""
    client = sdk_client(sandbox)
    yield client
    client.auth_client.close()
