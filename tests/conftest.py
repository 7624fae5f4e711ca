"""Fixtures shared by the whole suite."""

from __future__ import annotations

import pytest

from tests import network_guard


@pytest.fixture
def no_network():
    """Fail the test on any socket connection (used to prove Pattern 1 operations stay local)."""
    with network_guard.network_blocked():
        yield
