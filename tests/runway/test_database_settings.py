"""The database bounds come from the settings (SQLite here; PostgreSQL in tests/runway/api/test_timeouts.py)."""

from __future__ import annotations

from runway import bootstrap
from runway.settings import Settings


def test_sqlite_busy_timeout_is_configurable(tmp_path):
    settings = Settings(database_url=f"sqlite:///{tmp_path}/m.db", sqlite_busy_timeout_ms=1234)
    with bootstrap.build_container(settings) as c, c.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 1234
