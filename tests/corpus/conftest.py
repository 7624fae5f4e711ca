"""The corpus: codebases shaped like others' (not Runway's), each with its configuration and findings."""

# The codebases are data for these tests, not tests.
collect_ignore_glob = ["codebases", "codebases/*"]
