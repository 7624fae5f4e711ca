"""What a sync run reports: per business, per entity, how it went."""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from infra.interfaces.records import Entity

__all__ = ["BusinessSyncResult", "EntitySyncResult", "Progress", "SyncMode"]

#: ``progress(business_id, entity, rows_done, rows_total)``; ``rows_total`` is None when not known
#: in advance (change data capture). Called from the syncing thread after each committed page.
Progress = Callable[[int, Entity, int, int | None], None]


class SyncMode(enum.StrEnum):
    """How an entity was read."""

    FULL = "full"  # every row, paged, then a reconcile of ids
    CDC = "cdc"  # change data capture since the cursor (hard deletes included)
    QUERY = "query"  # Metadata.LastUpdatedTime >= cursor, paged, plus a reconcile of ids (deletes)
    REFRESH = "refresh"  # re-read because computed balances moved (vendors, customers, accounts)


@dataclass(slots=True)
class EntitySyncResult:
    """One entity of one business in one run.

    ``upserted``: rows inserted or changed in the mirror (rows read again unchanged are not counted);
    ``deleted``: mirror rows removed because QBO no longer has them; ``quarantined``: entities that could
    not be mapped or stored this run; ``unquarantined``: earlier quarantined entities that now synced
    fine; ``fetched``: objects read from QBO; ``cursor``: the cursor stored after this run (None if the
    entity failed or has none); ``error``: why the entity failed (its cursor then stays where it was).
    """

    entity: Entity
    mode: SyncMode | None = None
    upserted: int = 0
    deleted: int = 0
    quarantined: int = 0
    unquarantined: int = 0
    fetched: int = 0
    cursor: str | None = None
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


@dataclass(slots=True)
class BusinessSyncResult:
    """One business in one run. ``skipped``: another sync of the business held its lock, nothing was
    done; ``error``: the business could not be synced at all (unknown, not connected, ...)."""

    business_id: int
    realm_id: str | None = None
    entities: dict[Entity, EntitySyncResult] = field(default_factory=dict)
    skipped: bool = False
    error: str | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None

    @property
    def ok(self) -> bool:
        return not self.skipped and self.error is None and all(r.ok for r in self.entities.values())

    @property
    def upserted(self) -> int:
        return sum(r.upserted for r in self.entities.values())

    @property
    def deleted(self) -> int:
        return sum(r.deleted for r in self.entities.values())

    @property
    def quarantined(self) -> int:
        return sum(r.quarantined for r in self.entities.values())

    @property
    def failed_entities(self) -> list[Entity]:
        return [entity for entity, result in self.entities.items() if not result.ok]


class RunStopped(Exception):
    """The run of this business cannot go on (authentication, a lost lock): it stops and records why."""
