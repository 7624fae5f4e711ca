"""How fresh a Pattern 1 answer is.

Every answer read from the mirror carries the time of the last successful sync of the entities it
read (the oldest of them, since the answer is only as fresh as its stalest input) and a ``stale`` flag
when that is older than ``STALE_AFTER`` or when one of the entities was never synced.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Generic, TypeVar

from infra.interfaces.ports import SyncStateReader
from infra.interfaces.records import Entity, SyncStateRecord

STALE_AFTER = timedelta(hours=24)

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Freshness:
    """``last_synced_at`` is None when some entity read was never synced."""

    last_synced_at: datetime | None
    stale: bool
    age: timedelta | None
    entities: tuple[Entity, ...]
    source: str = "mirror"

    @property
    def age_hours(self) -> float | None:
        return None if self.age is None else round(self.age.total_seconds() / 3600, 1)

    def describe(self) -> str:
        if self.last_synced_at is None:
            return "never synced"
        hours = self.age_hours or 0.0
        text = f"synced {hours:.1f} h ago" if hours < 48 else f"synced {hours / 24:.1f} days ago"
        return text + (" (stale)" if self.stale else "")


@dataclass(frozen=True, slots=True)
class Answer(Generic[T]):
    """A result and how fresh the data behind it is."""

    data: T
    freshness: Freshness


def freshness_of(states: Iterable[SyncStateRecord], entities: Sequence[Entity], now: datetime,
                 stale_after: timedelta = STALE_AFTER) -> Freshness:
    by_entity = {state.entity: state for state in states}
    successes = [by_entity[e].last_success_at if e in by_entity else None for e in entities]
    if not successes or any(s is None for s in successes):
        return Freshness(None, True, None, tuple(entities))
    oldest = min(s for s in successes if s is not None)
    age = max(now - oldest, timedelta(0))
    return Freshness(oldest, age > stale_after, age, tuple(entities))


def combine(*parts: Freshness) -> Freshness:
    """The freshness of an answer built from several: as old as the oldest part."""
    entities = tuple(dict.fromkeys(e for p in parts for e in p.entities))
    if any(p.last_synced_at is None for p in parts):
        return Freshness(None, True, None, entities)
    oldest = min(parts, key=lambda p: p.last_synced_at)  # type: ignore[arg-type, return-value]
    return Freshness(oldest.last_synced_at, any(p.stale for p in parts), oldest.age, entities)


class FreshnessReader:
    """Reads sync state for the entities an operation used; shared by every domain service."""

    def __init__(self, sync_states: SyncStateReader, stale_after: timedelta = STALE_AFTER) -> None:
        self._sync_states = sync_states
        self._stale_after = stale_after

    def of(self, business_id: int, entities: Sequence[Entity], now: datetime) -> Freshness:
        states = self._sync_states.sync_states(business_id, entities)
        return freshness_of(states, entities, now, self._stale_after)
