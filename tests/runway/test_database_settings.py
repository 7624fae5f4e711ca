"""The database bounds come from the settings (SQLite here; PostgreSQL in tests/runway/api/test_timeouts.py)."""

from __future__ import annotations

from runway import bootstrap
from runway.settings import Settings


def test_sqlite_busy_timeout_is_configurable(tmp_path):
    settings = Settings(database_url=f"sqlite:///{tmp_path}/m.db", sqlite_busy_timeout_ms=1234)
    with bootstrap.build_container(settings) as c, c.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 1234


def test_the_postgresql_pool_is_sized_from_the_settings():
    url = "postgresql://nobody@127.0.0.1:9/none"  # nothing connects: the engine is only built
    with bootstrap.build_container(Settings(database_url=url, database_pool_size=7,
                                            database_max_overflow=3)) as c:
        assert (c.engine.pool.size(), c.engine.pool._max_overflow) == (7, 3)  # type: ignore[attr-defined]
    with bootstrap.build_container(Settings(database_url=url)) as c:
        # SQLAlchemy's default (5 kept) closed and reopened PostgreSQL sessions at every burst above 5
        # requests in flight per process: 16 per process is 32 clients over 2 workers.
        assert c.engine.pool.size() >= 16  # type: ignore[attr-defined]
