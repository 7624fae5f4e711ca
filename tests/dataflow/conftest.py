"""Data-flow checker tests: planted trees, the markers and runtime guard, reports, baseline, contract."""

# The planted fake projects are data for these tests, not tests (and each has its own `domains`).
collect_ignore_glob = ["planted", "planted/*"]
