"""Fixtures shared by the CLI tests of ``runway``."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from domains.core.clock import FixedClock
from runway import bootstrap
from runway.settings import Settings
from tests.fixtures.portfolio_seed import SeedSummary, seed_container


@pytest.fixture
def seeded_mirror(tmp_path) -> tuple[str, SeedSummary]:
    """A migrated SQLite mirror seeded with the small portfolio: its URL and what was seeded."""
    url = f"sqlite:///{tmp_path / 'mirror.db'}"
    with bootstrap.build_container(Settings(database_url=url),
                                   clock=FixedClock(datetime(2026, 11, 27, 12, tzinfo=UTC))) as c:
        bootstrap.prepare_database(c)
        summary = seed_container(c, scale="small")
    return url, summary
