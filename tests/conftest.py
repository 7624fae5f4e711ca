"""Fixtures shared by the whole suite."""

from __future__ import annotations

import pytest

from tests import network_guard

# --dataflow-strict (archguard's pytest plugin, registered by its pytest11 entry point): the whole suite
# under the runtime guard in "raise" mode with sockets blocked, except servers the tests start in-process
# (the QBO sandbox) and the dataflow_allow addresses in pyproject.toml.
# tests.fixtures.sandbox: the shared sandbox fixtures (sandbox_pool, sandbox_company); tests.fixtures.redis:
# Redis for the Dramatiq engine and the shared QBO limiter (redis_server, redis_prefix).
pytest_plugins = ["tests.fixtures.sandbox", "tests.fixtures.redis"]


@pytest.fixture
def no_network():
    """Fail the test on any socket connection (used to prove Pattern 1 operations stay local)."""
    with network_guard.network_blocked():
        yield


# The slow lane (`pytest -m slow`) holds, besides the tests their own modules mark slow:
# - every PostgreSQL test: the fast lane runs on SQLite and needs no database server;
# - the tests below, which start lint-imports or a fresh interpreter for each case, and the QBO sandbox's
#   own fidelity suite (tests/sandbox: the development tool, not the product). They are listed here rather
#   than marked in their modules, which are maintained with the architecture suite and the sandbox.
SLOW_ELSEWHERE = (
    "tests/architecture/test_planted_contracts.py::",
    "tests/architecture/test_no_io_at_import.py::",
    "tests/architecture/test_config.py::test_ignore_imports_in_the_real_config_fails_when_stale",
    "tests/architecture/test_config.py::test_stale_ignore_fails_even_when_the_tree_is_clean",
    "tests/architecture/test_real_tree.py::test_copy_of_real_tree_with_planted_violation_fails",
    "tests/dataflow/test_contract.py::",
    "tests/dataflow/test_network.py::test_dataflow_strict_plugin_raises_on_live_calls_and_blocks_the_network",
    "tests/sandbox/",
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if item.get_closest_marker("postgres") is not None or item.nodeid.startswith(SLOW_ELSEWHERE):
            item.add_marker(pytest.mark.slow)
