"""The corpus: codebases shaped like others' (not Runway's), each with its configuration and findings."""

import pytest

from archguard.cachefile import ENVIRONMENT

# The codebases are data for these tests, not tests.
collect_ignore_glob = ["codebases", "codebases/*"]


@pytest.fixture(autouse=True)
def _no_cache_in_the_source_tree(monkeypatch: pytest.MonkeyPatch) -> None:
    """These tests run the tools in trees of the repository itself: archguard keeps no cache there (the
    cache has tests of its own, in tests/dataflow/test_cache.py, on copies)."""
    monkeypatch.setenv(ENVIRONMENT, "off")
