"""Worker heartbeats: each worker process writes its own row; readiness checks read them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select

from infra.db._base import SessionScoped, dialect_insert
from infra.db.sync_tables import worker_heartbeat

__all__ = ["WorkerBeat", "WorkerHeartbeats"]


@dataclass(frozen=True, slots=True)
class WorkerBeat:
    worker_id: str
    started_at: datetime
    last_beat: datetime
    state: str


class WorkerHeartbeats(SessionScoped):
    """``worker_heartbeat`` rows: each scheduler writes its own every loop; readiness checks read them."""

    def beat(self, worker_id: str, at: datetime, state: str = "idle") -> None:
        with self.transaction("write a worker heartbeat", write=True) as session:
            ins = dialect_insert(session, worker_heartbeat).values(worker_id=worker_id, started_at=at, last_beat=at,
                                                                   state=state[:64])
            session.execute(ins.on_conflict_do_update(index_elements=[worker_heartbeat.c.worker_id],
                                                      set_={"last_beat": at, "state": state[:64]}))

    def workers(self) -> list[WorkerBeat]:
        with self.transaction("read worker heartbeats") as session:
            rows = session.execute(select(worker_heartbeat).order_by(worker_heartbeat.c.worker_id)).mappings()
            return [WorkerBeat(row["worker_id"], row["started_at"], row["last_beat"], row["state"]) for row in rows]

    def alive(self, since: datetime) -> list[WorkerBeat]:
        """Workers whose last beat is at or after ``since``."""
        return [beat for beat in self.workers() if beat.last_beat >= since]

    def forget(self, worker_id: str) -> None:
        with self.transaction("remove a worker heartbeat", write=True) as session:
            session.execute(delete(worker_heartbeat).where(worker_heartbeat.c.worker_id == worker_id))


