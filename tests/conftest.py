"""Fixtures shared by the whole suite."""

from __future__ import annotations

import pytest

from tests import network_guard

# --dataflow-strict: the whole suite under the runtime guard in "raise" mode with sockets blocked,
# except servers the tests start in-process (the QBO sandbox) and the dataflow_allow addresses.
# tests.fixtures.sandbox: the shared sandbox fixtures (sandbox_pool, sandbox_company).
pytest_plugins = ["archguard.dataflow.pytest_plugin", "tests.fixtures.sandbox"]


@pytest.fixture
def no_network():
    """Fail the test on any socket connection (used to prove Pattern 1 operations stay local)."""
    with network_guard.network_blocked():
        yield
