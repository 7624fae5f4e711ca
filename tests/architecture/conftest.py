"""Architecture tests: the contracts in .importlinter, pytest-archon direction rules, the layer diagram."""

# The planted fake projects are data for these tests, not tests (and each has its own `domains`).
collect_ignore_glob = ["planted", "planted/*"]
