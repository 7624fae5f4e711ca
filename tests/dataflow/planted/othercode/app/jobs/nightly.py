"""A nightly job (in the jobs package)."""

from __future__ import annotations


def refresh_all() -> None:
    ...
