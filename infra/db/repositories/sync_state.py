"""SyncStateReader over the ``sync_state`` table (written by ``MirrorWriter.record_sync_*``)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import bindparam, select

from infra.db._base import SessionScoped
from infra.db.mapping import sync_state_record
from infra.db.tables import sync_state
from infra.interfaces.records import Entity, SyncStateRecord

# Built once, with a bound parameter: every Pattern 1 answer reads it.
_STATES_OF_BUSINESS = select(sync_state).where(sync_state.c.business_id == bindparam("business_id"))


class SqlSyncStateReader(SessionScoped):
    """Implements ``SyncStateReader``."""

    def sync_states(self, business_id: int, entities: Sequence[Entity]) -> list[SyncStateRecord]:
        wanted = [Entity(e) for e in entities]
        if not wanted:
            return []
        # Every entity's state in one read, kept for the session: inside a read scope the answer's other
        # freshness checks read it from there (one sync-state read per answer, from the same snapshot).
        with self.transaction("read sync state") as session:
            key = ("sync_states", business_id)
            found = session.info.get(key)
            if found is None:
                rows = session.execute(_STATES_OF_BUSINESS, {"business_id": business_id}).mappings().all()
                found = {Entity(row["entity"]): sync_state_record(row) for row in rows}
                session.info[key] = found
        return [found.get(e) or SyncStateRecord(business_id=business_id, entity=e) for e in wanted]

    def all_sync_states(self, business_id: int) -> list[SyncStateRecord]:
        """Beyond the port: every entity the business has a sync-state row for, by entity name."""
        stmt = (select(sync_state).where(sync_state.c.business_id == business_id)
                .order_by(sync_state.c.entity))
        with self.transaction("read sync state") as session:
            return [sync_state_record(row) for row in session.execute(stmt).mappings()]
