"""The worker's composition: the job engine chosen by configuration only, the QBO limits shared through
Redis when it is configured, and the housekeeping that purges Idempotency-Key records."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime

import pytest

from domains.core.clock import FixedClock
from infra.db.repositories.idempotency import SqlIdempotencyStore
from infra.interfaces.access import IdempotencyRecord
from infra.jobs.dramatiq_engine import DramatiqEngine
from infra.jobs.engine import EmbeddedEngine
from infra.qbo.limiter import RealmLimiterRegistry
from infra.qbo.redis_limiter import RedisRealmLimiterRegistry
from runway.bootstrap import build_container, prepare_database
from runway.bootstrap.adapters import build_limiters
from runway.bootstrap.errors import ConfigurationError
from runway.bootstrap.sync import _housekeeping, purge_idempotency_records
from runway.settings import Settings

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


def _settings(tmp_path, **changes) -> Settings:
    return Settings(database_url=f"sqlite:///{tmp_path / 'mirror.db'}", _env_file=None, **changes)


def test_the_job_engine_is_chosen_by_configuration_only(tmp_path, redis_server: str, redis_prefix: str) -> None:
    with build_container(_settings(tmp_path)) as embedded:
        assert isinstance(embedded.sync_engine, EmbeddedEngine)
    with build_container(_settings(tmp_path, broker_url=redis_server, redis_namespace=redis_prefix)) as dramatiq:
        assert isinstance(dramatiq.sync_engine, DramatiqEngine)
    with pytest.raises(ConfigurationError, match="Redis URL"):
        build_container(_settings(tmp_path, broker_url="amqp://localhost"))


def test_qbo_limits_are_shared_through_redis_when_it_is_configured(tmp_path) -> None:
    from infra.qbo import QboClientConfig

    config = QboClientConfig(api_base_url="http://127.0.0.1:1/v3", client_id="id", client_secret="secret")
    assert isinstance(build_limiters(_settings(tmp_path), config), RealmLimiterRegistry)
    for shared in (_settings(tmp_path, broker_url="redis://127.0.0.1:6379/0"),
                   _settings(tmp_path, redis_url="redis://127.0.0.1:6379/0")):
        assert isinstance(build_limiters(shared, config), RedisRealmLimiterRegistry)


def _record(firm_id: int, key: str, created_at: datetime) -> IdempotencyRecord:
    return IdempotencyRecord(firm_id=firm_id, key=key, fingerprint="f", status_code=200, body="{}",
                             created_at=created_at)


def test_the_worker_purges_idempotency_records_older_than_the_retention(tmp_path) -> None:
    clock = FixedClock(NOW)
    with build_container(_settings(tmp_path, idempotency_retention_hours=24), clock=clock) as container:
        prepare_database(container)
        firm = container.writer.create_firm("Harbor & Pine Advisors")
        store = SqlIdempotencyStore(container.session_factory)
        store.put_if_absent(_record(firm.id, "old", datetime(2026, 11, 19, 11, 0, tzinfo=UTC)))
        store.put_if_absent(_record(firm.id, "recent", datetime(2026, 11, 19, 13, 0, tzinfo=UTC)))

        stop = threading.Event()
        keeper = threading.Thread(target=_housekeeping, args=(container, stop, 0.01))
        keeper.start()
        try:
            deadline = time.monotonic() + 10
            while store.get(firm.id, "old") is not None and time.monotonic() < deadline:
                time.sleep(0.02)
        finally:
            stop.set()
            keeper.join(5)
        assert store.get(firm.id, "old") is None
        assert store.get(firm.id, "recent") is not None

        clock.advance(hours=2)
        assert purge_idempotency_records(container) == 1
        assert store.get(firm.id, "recent") is None


def test_a_worker_without_qbo_says_what_to_set_before_starting_any_process(tmp_path) -> None:
    from runway.bootstrap import run_worker

    with build_container(_settings(tmp_path)) as container, pytest.raises(ConfigurationError, match="needs QBO"):
        run_worker(container, interval_seconds=None, processes=3)


@pytest.mark.slow  # two worker processes
def test_two_embedded_worker_processes_serve_queued_requests(sandbox_company) -> None:
    from sqlalchemy import text

    from runway.bootstrap import run_worker
    from tests.infra.jobs.mutations import create_bill

    container, business = sandbox_company.container, sandbox_company.business
    assert isinstance(container.sync_engine, EmbeddedEngine)
    bill = create_bill(sandbox_company.store)
    container.sync_engine.enqueue(business.id, ["Bill"], "webhook")
    stop = threading.Event()
    worker = threading.Thread(target=run_worker, kwargs={"container": container, "interval_seconds": None,
                                                         "poll_seconds": 0.2, "stop_event": stop, "processes": 2})
    worker.start()

    def mirrored() -> bool:
        with container.session_factory() as session:
            return session.execute(text("SELECT COUNT(*) FROM bills WHERE qbo_id = :id"),
                                   {"id": bill["Id"]}).scalar_one() == 1

    try:
        deadline = time.monotonic() + 120
        while not (mirrored() and container.sync_engine.pending() == []) and time.monotonic() < deadline:
            time.sleep(0.2)
    finally:
        stop.set()
        worker.join(90)
    assert mirrored() and container.sync_engine.pending() == []


def test_building_the_sync_service_freezes_the_start_up_heap(tmp_path) -> None:
    """The composition root, not the sync service, decides the process's collector policy: building the
    sync service (as ``runway worker`` and ``runway sync`` do) freezes the objects alive then. Freezing is
    process-wide, so this runs in an interpreter of its own."""
    import subprocess
    import sys
    import textwrap

    code = textwrap.dedent(f"""
        import gc
        from runway.bootstrap import build_container, build_sync_service, generate_encryption_key
        from runway.settings import Settings
        settings = Settings(_env_file=None, database_url={f"sqlite:///{tmp_path / 'mirror.db'}"!r},
                            qbo_api_base_url="http://127.0.0.1:1/v3", qbo_client_id="id",
                            qbo_client_secret="secret", token_encryption_key=generate_encryption_key())
        with build_container(settings) as container:
            before = gc.get_freeze_count()
            build_sync_service(container)
            print(before, gc.get_freeze_count() > 10_000)
    """)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["0", "True"]
