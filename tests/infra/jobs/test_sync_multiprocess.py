"""N worker processes on Dramatiq and a real Redis, against the sandbox enforcing Intuit's per-realm limits
(10 a second, 500 a minute, 10 in flight), while the API's live calls draw from the same realms:

- 40 businesses, 10 of them (in 10 firms) on one shared realm: every sync converges (each business's mirror
  equals the sandbox row by row), with zero 429s, so no realm ever went over a limit the sandbox enforces,
  and the sandbox's counters show no realm with more than 10 requests in flight or 500 in a minute;
- a worker process killed with SIGKILL in the middle of its jobs: its jobs run again (Dramatiq puts back
  the messages of a worker whose heartbeat stopped) and the mirror still converges;
- Redis killed and restarted mid-run (with its append-only file): the jobs run again (Dramatiq's own
  recovery; the scheduled requests, which always send a message, are the safety net) and the mirror still
  converges.

Needs Redis (tests/fixtures/redis.py) and PostgreSQL (several processes write the mirror at once).
"""

from __future__ import annotations

import multiprocessing
import os
import shutil
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
import redis
from sqlalchemy import text

from infra.db.engine import create_engine_for, create_session_factory
from infra.db.sync_store import SyncStore
from infra.db.tables import metadata
from infra.interfaces.records import Entity
from qbo_sandbox import LatencySettings, LimitSettings, SandboxConfig, SandboxServer, SandboxState
from runway import bootstrap
from runway.settings import Settings
from tests.infra.jobs.convergence import assert_mirror_matches_sandbox

pytestmark = pytest.mark.slow  # worker processes, a real Redis, real limits on a real clock

INTUIT_LIMITS = LimitSettings()  # 10/s, 500/min, 10 in flight, 40 batch/min per realm


@pytest.fixture
def pg_mirror(sync_pg_url: str) -> Iterator[str]:
    engine = create_engine_for(sync_pg_url)
    names = ", ".join(f'"{t.name}"' for t in reversed(metadata.sorted_tables))
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    engine.dispose()
    yield sync_pg_url


def _settings(server: SandboxServer, database_url: str, redis_url: str, namespace: str) -> Settings:
    state = server.state
    return Settings(_env_file=None, database_url=database_url, qbo_api_base_url=server.api_base_url,
                    qbo_token_url=server.token_url, qbo_client_id=state.config.client_id,
                    qbo_client_secret=state.config.client_secret,
                    token_encryption_key=bootstrap.generate_encryption_key(), broker_url=redis_url,
                    redis_namespace=namespace, broker_heartbeat_timeout_seconds=3.0,
                    qbo_backoff_base_seconds=0.05, qbo_throttle_wait_seconds=1.0)


def _all_synced(store: SyncStore, business_ids: list[int]) -> bool:
    for business_id in business_ids:
        states = store.sync_states(business_id)
        if set(states) != set(Entity) or any(s.cursor is None or s.last_error for s in states.values()):
            return False
    return True


def _run_workers(container: bootstrap.Container, processes: int, stop: threading.Event) -> threading.Thread:
    thread = threading.Thread(target=bootstrap.run_worker, kwargs={
        "container": container, "interval_seconds": None, "poll_seconds": 0.5, "stop_event": stop,
        "processes": processes}, daemon=True)
    thread.start()
    return thread


def _wait(condition, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"{what} within {seconds:.0f} s"
        time.sleep(0.25)


def _connect_and_request_first_syncs(container, state: SandboxState, *, firms_on_first_realm: int = 1
                                     ) -> dict[int, str]:
    """Connect every realm of the sandbox as a client of one firm, the first realm also as a client of
    ``firms_on_first_realm - 1`` other firms (one QBO company served by several firms: a business and a mirror
    of its own in each), and request a full first sync of each business; the realm by business id."""
    businesses = {bootstrap.connect_company(
        container, firm_name="Harbor & Pine Advisors", business_name=f"Client {i}", realm_id=realm,
        refresh_token=state.connect_realm(realm)).id: realm for i, realm in enumerate(state.realm_ids)}
    shared = state.realm_ids[0]
    for firm in range(1, firms_on_first_realm):
        businesses[bootstrap.connect_company(
            container, firm_name=f"Advisory Firm {firm}", business_name="Client 0", realm_id=shared,
            refresh_token=state.connect_realm(shared)).id] = shared
    assert container.sync_engine is not None
    for business_id in businesses:
        container.sync_engine.enqueue(business_id, None, "first sync", full=True)
    return businesses


def _wait_for_bills(database_url: str, *, more_than: int) -> None:
    """Wait until the workers have written more than ``more_than`` bills: a sync is under way."""
    engine = create_engine_for(database_url)
    sessions = create_session_factory(engine)

    def rows_written() -> bool:
        with sessions() as session:
            return session.execute(text("SELECT COUNT(*) FROM bills")).scalar_one() > more_than

    try:
        _wait(rows_written, 120, "the workers wrote some rows")
    finally:
        engine.dispose()


def test_four_worker_processes_40_businesses_ten_on_one_realm_and_live_calls_share_qbo_limits(
        pg_mirror, redis_server, redis_prefix) -> None:
    """40 businesses: 30 on realms of their own and 10 (in 10 firms) on one shared realm, whose ten full syncs
    (each reading the company into a mirror of its own) and two threads of live calls draw from that realm's
    one budget, in Redis, across the four processes. The sandbox answers after 300 ms, about Intuit's
    latency, so requests overlap and the in-flight ceiling is approached, not trivially kept."""
    state = SandboxState(SandboxConfig(realms=31, seed=7, size=200, limits=INTUIT_LIMITS,
                                       latency=LatencySettings(fixed_ms=300)))
    shared = state.realm_ids[0]
    with SandboxServer(state) as server, bootstrap.build_container(
            _settings(server, pg_mirror, redis_server, redis_prefix)) as container:
        businesses = _connect_and_request_first_syncs(container, state, firms_on_first_realm=10)
        assert len(businesses) == 40 and list(businesses.values()).count(shared) == 10
        assert container.qbo_client is not None
        state.counters.reset()
        stop = threading.Event()
        workers = _run_workers(container, 4, stop)
        client = container.qbo_client

        store = SyncStore(container.session_factory)
        synced = threading.Event()

        def live_calls(realm: str) -> int:
            """The API's Pattern 2 reads of a realm being synced, through the same shared budget, until
            every sync is done."""
            answered = 0
            while not synced.is_set():
                answered += client.count(realm, "Bill") >= 0
            return answered

        try:
            with ThreadPoolExecutor(max_workers=8) as pool:
                calls = [pool.submit(live_calls, realm) for realm in state.realm_ids[:4] * 2]  # the shared one too
                try:
                    _wait(lambda: _all_synced(store, list(businesses)), 300, "every business synced")
                finally:
                    synced.set()
                answered = sum(call.result() for call in calls)
        finally:
            stop.set()
            workers.join(90)

        counters = state.counters
        assert answered > 100
        assert counters.throttled() == 0, counters.snapshot()
        assert max(counters.max_concurrency(realm) for realm in state.realm_ids) <= 10, counters.snapshot()
        # With answers after 300 ms, the shared realm's syncs and live calls press on its budget (8 to 10
        # in flight in trial runs): the ceiling above is one the processes could have broken. With instant
        # answers, as before, no realm ever had 2 requests in flight.
        assert counters.max_concurrency(shared) >= 4, counters.snapshot()
        assert max(counters.max_per_minute(realm) for realm in state.realm_ids) <= 500, counters.snapshot()
        for business_id, realm in businesses.items():
            assert_mirror_matches_sandbox(container.session_factory, business_id, state.realm(realm))


def test_a_worker_process_killed_mid_job_has_its_jobs_run_again_and_the_mirror_converges(
        pg_mirror, redis_server, redis_prefix) -> None:
    state = SandboxState(SandboxConfig(realms=6, seed=9, size=300, limits=INTUIT_LIMITS,
                                       latency=LatencySettings(fixed_ms=15)))
    with SandboxServer(state) as server, bootstrap.build_container(
            _settings(server, pg_mirror, redis_server, redis_prefix)) as container:
        businesses = _connect_and_request_first_syncs(container, state)
        # Each realm's access token is fetched here, before the workers start, so that no worker refreshes
        # one during the test: a kill that landed after QBO rotated a refresh token and before the worker
        # saved the new one would leave that realm needing a person to reconnect it (rotation cannot be
        # undone), which is not what this test is about (it failed so once in CI).
        assert container.qbo_client is not None
        for realm in set(businesses.values()):
            container.qbo_client.tokens.access_token(realm)
        store = SyncStore(container.session_factory)
        stop = threading.Event()
        workers = _run_workers(container, 2, stop)
        try:
            _wait_for_bills(pg_mirror, more_than=100)
            victims = [child for child in multiprocessing.active_children() if child.name.startswith("runway-worker")]
            assert victims
            os.kill(victims[0].pid, signal.SIGKILL)  # mid-job: its messages are never acknowledged
            _wait(lambda: _all_synced(store, list(businesses)), 300, "every business synced after the kill")
        finally:
            stop.set()
            workers.join(90)
        for business_id, realm in businesses.items():
            assert_mirror_matches_sandbox(container.session_factory, business_id, state.realm(realm))


class _OwnRedis:
    """A Redis server of this test alone (on a free port, with its append-only file in ``directory``), so
    that it can be killed and restarted without disturbing anyone else's."""

    def __init__(self, directory) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.directory = directory
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "yes",
             "--appendfsync", "always", "--dir", str(self.directory)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        client = redis.Redis.from_url(self.url)
        _wait(lambda: _answers(client), 20, "redis-server started")
        client.close()

    def kill(self) -> None:
        assert self.process is not None
        self.process.kill()
        self.process.wait(10)


def _answers(client: redis.Redis) -> bool:
    try:
        return bool(client.ping())
    except redis.RedisError:
        return False


def test_redis_restarting_mid_run_the_jobs_run_again_and_the_mirror_converges(pg_mirror, tmp_path) -> None:
    if shutil.which("redis-server") is None:
        message = "redis-server is not installed: install it (apt-get install redis-server) to run this test"
        if os.environ.get("RUNWAY_REQUIRE_REDIS"):
            pytest.fail(message)
        pytest.skip(message)
    own = _OwnRedis(tmp_path)
    own.start()
    state = SandboxState(SandboxConfig(realms=4, seed=13, size=300, limits=INTUIT_LIMITS,
                                       latency=LatencySettings(fixed_ms=15)))
    try:
        with SandboxServer(state) as server, bootstrap.build_container(
                _settings(server, pg_mirror, own.url, "runway-restart")) as container:
            businesses = _connect_and_request_first_syncs(container, state)
            store = SyncStore(container.session_factory)
            stop = threading.Event()
            workers = threading.Thread(target=bootstrap.run_worker, kwargs={
                "container": container, "interval_seconds": 3.0, "poll_seconds": 0.5, "stop_event": stop,
                "processes": 2}, daemon=True)
            workers.start()
            try:
                _wait_for_bills(pg_mirror, more_than=50)
                own.kill()  # mid-run: workers lose the broker, the pending requests and the shared limiter
                time.sleep(2)
                own.start()  # back, with what its append-only file kept
                _wait(lambda: _all_synced(store, list(businesses)), 300,
                      "every business synced after Redis restarted")
            finally:
                stop.set()
                workers.join(90)
            for business_id, realm in businesses.items():
                assert_mirror_matches_sandbox(container.session_factory, business_id, state.realm(realm))
    finally:
        own.kill()
