"""A sync killed part way (SIGKILL, after some pages were committed) loses nothing: the next run takes
over its lock, resumes and converges, without duplicates."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import text

from infra.db.engine import create_engine_for, create_session_factory, sqlite_url
from infra.db.writer import MirrorWriter
from infra.interfaces.records import Entity
from infra.jobs import SyncConfig, SyncService
from infra.qbo import OAuthTokens, QboClient, QboClientConfig, RealmLimiterRegistry
from qbo_sandbox import LatencySettings, SandboxConfig, SandboxServer, SandboxState
from tests.fakes.qbo_tokens import InMemoryTokenStore
from tests.infra.jobs.convergence import assert_mirror_matches_sandbox

REPO_ROOT = Path(__file__).resolve().parents[3]
MIRRORED = ("vendors", "customers", "accounts", "bills", "invoices", "bill_payments", "customer_payments")

pytestmark = pytest.mark.slow  # a sync in another process, killed half-way


def _mirrored_rows(engine) -> int:
    with engine.connect() as conn:
        return sum(conn.execute(text(f"SELECT COUNT(*) FROM {table}")).scalar_one() for table in MIRRORED)


def test_a_killed_sync_resumes_without_losing_or_duplicating_rows(tmp_path, sync_sqlite_template) -> None:
    path = tmp_path / "killed.db"
    shutil.copyfile(sync_sqlite_template, path)
    engine = create_engine_for(sqlite_url(path))
    sessions = create_session_factory(engine)
    # A real clock (the subprocess cannot share a manual one) and slow answers, so the sync takes a while.
    state = SandboxState(SandboxConfig(realms=1, seed=21, size=700, latency=LatencySettings(fixed_ms=30)))
    with SandboxServer(state) as server:
        realm_id = state.realm_ids[0]
        realm = state.realm(realm_id)
        total = sum(len(realm.rows(entity.value)) for entity in Entity)
        writer = MirrorWriter(sessions)
        business = writer.create_business(writer.create_firm("Firm").id, "Killed Co", realm_id).id
        process = subprocess.Popen(
            [sys.executable, "-m", "tests.infra.jobs.killable_sync", "--db", str(path),
             "--api-base", server.api_base_url, "--token-url", server.token_url, "--realm", realm_id,
             "--refresh-token", state.connect_realm(realm_id), "--business", str(business)],
            cwd=REPO_ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            env={**os.environ, "PYTHONPATH": str(REPO_ROOT)})
        try:
            deadline = time.monotonic() + 60
            while _mirrored_rows(engine) < 150:
                assert process.poll() is None, process.communicate()
                assert time.monotonic() < deadline, "the sync committed nothing in 60 s"
                time.sleep(0.02)
        finally:
            process.send_signal(signal.SIGKILL)
            process.wait()
        committed = _mirrored_rows(engine)
        assert 150 <= committed < total  # killed part way, with pages committed
        with engine.connect() as conn:
            assert conn.execute(text("SELECT COUNT(*) FROM sync_locks")).scalar_one() == 1  # left behind
            assert conn.execute(text("SELECT COUNT(*) FROM sync_state WHERE cursor IS NOT NULL")).scalar_one() == 0

        config = QboClientConfig(api_base_url=server.api_base_url, token_url=server.token_url,
                                 client_id=state.config.client_id, client_secret=state.config.client_secret)
        tokens = InMemoryTokenStore(OAuthTokens(realm_id=realm_id, refresh_token=state.connect_realm(realm_id)))
        state.faults.set_latency(0, 0)
        # The killed process's last requests are still in the sandbox's rate windows, and this process's
        # limiter cannot know them (limiters are per process): start the resumed sync on an empty window.
        state.limits.reset_windows()
        with QboClient(config, tokens, RealmLimiterRegistry.from_config(config)) as client:
            result = SyncService(sessions, client, config=SyncConfig(page_size=50)).sync_business(business)

        assert result.ok and not result.skipped, result  # the dead process's lock was taken over
        assert _mirrored_rows(engine) == total
        assert_mirror_matches_sandbox(sessions, business, realm)
        with engine.connect() as conn:
            assert conn.execute(text("SELECT COUNT(*) FROM sync_locks")).scalar_one() == 0
    state.close()
    engine.dispose()
