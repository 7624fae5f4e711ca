"""ReadinessProbe over the mirror database: a trivial query, the sync state per business, worker heartbeats."""

from __future__ import annotations

from sqlalchemy import func, select, text

from infra.db._base import SessionScoped
from infra.db.heartbeats import WorkerHeartbeats
from infra.db.tables import businesses, sync_state
from infra.interfaces.access import BusinessSyncOverview, WorkerHeartbeatRecord

__all__ = ["SqlReadinessProbe"]


class SqlReadinessProbe(SessionScoped):
    """Implements ``ReadinessProbe``. Worker heartbeats come from the sync machinery's
    ``worker_heartbeat`` table (``infra.db.heartbeats.WorkerHeartbeats``)."""

    def ping(self) -> None:
        with self.transaction("answer a readiness check") as session:
            session.execute(text("SELECT 1")).scalar_one()

    def sync_overview(self) -> list[BusinessSyncOverview]:
        stmt = (select(businesses.c.id, func.min(sync_state.c.last_success_at).label("oldest"),
                       func.count(sync_state.c.last_success_at).label("synced"))
                .select_from(businesses.outerjoin(sync_state, sync_state.c.business_id == businesses.c.id))
                .group_by(businesses.c.id).order_by(businesses.c.id))
        with self.transaction("summarise sync state") as session:
            return [BusinessSyncOverview(row.id, row.oldest, int(row.synced)) for row in session.execute(stmt)]

    def worker_heartbeats(self) -> list[WorkerHeartbeatRecord] | None:
        beats = WorkerHeartbeats(self._session_factory).workers()
        return [WorkerHeartbeatRecord(b.worker_id, b.last_beat, b.state) for b in beats]
