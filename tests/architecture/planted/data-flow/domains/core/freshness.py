"""A helper service every domain service is given."""

from __future__ import annotations

from infra.interfaces.ports import SyncStateReader


class FreshnessReader:
    def __init__(self, states: SyncStateReader) -> None:
        self._states = states

    def of(self, business_id: int) -> str:
        states = self._states.sync_states(business_id)
        return _oldest(states)


def _oldest(states: list[str]) -> str:
    return min(states).upper()
