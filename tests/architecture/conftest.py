"""Architecture tests: the contracts in .importlinter, pytest-archon direction rules, the layer diagram."""

import pytest

from archguard.cachefile import ENVIRONMENT

# The planted fake projects are data for these tests, not tests (and each has its own `domains`).
collect_ignore_glob = ["planted", "planted/*"]


@pytest.fixture(autouse=True)
def _no_cache_in_the_source_tree(monkeypatch: pytest.MonkeyPatch) -> None:
    """These tests run the tools in trees of the repository itself: archguard keeps no cache there (the
    cache has tests of its own, in tests/dataflow/test_cache.py, on copies)."""
    monkeypatch.setenv(ENVIRONMENT, "off")
