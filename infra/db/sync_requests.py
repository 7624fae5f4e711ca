"""The ``sync_requests`` table: the embedded job engine's queue of coalesced sync requests
(``infra.jobs.queue``), and how merged requests keep their reasons (shared with the Redis engine).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, or_, select, update
from sqlalchemy.orm import Session

from infra.db._base import SessionScoped, dialect_insert
from infra.db.sync_tables import sync_requests
from infra.interfaces.records import Entity

__all__ = ["MAX_REASONS", "SyncRequest", "SyncRequestStore", "merge_entities", "merge_reason"]


@dataclass(frozen=True, slots=True)
class SyncRequest:
    """A queued request to sync a business. ``entities`` None means every mirrored entity."""

    id: int
    business_id: int
    entities: frozenset[Entity] | None
    full: bool
    reason: str
    requested_at: datetime
    last_requested_at: datetime
    request_count: int
    claimed_by: str | None = None
    claimed_at: datetime | None = None


def _entities_text(entities: frozenset[Entity] | None) -> str | None:
    return None if entities is None else ",".join(sorted(e.value for e in entities))


def _entities_of(value: str | None) -> frozenset[Entity] | None:
    if value is None:
        return None
    return frozenset(Entity(name) for name in value.split(",") if name)


def merge_entities(a: frozenset[Entity] | None, b: frozenset[Entity] | None) -> frozenset[Entity] | None:
    """The entities of two merged requests (None, every entity, wins)."""
    return None if a is None or b is None else a | b


#: A merged request keeps at most this many distinct reasons, each cut to ``MAX_REASON_LENGTH``
#: characters; further requests with other reasons are only counted (``+N more``).
MAX_REASONS = 5
MAX_REASON_LENGTH = 80
_MORE = re.compile(r"^\+(\d+) more$")


def _reason_parts(text: str) -> tuple[list[str], int]:
    parts: list[str] = []
    more = 0
    for part in text.split(", "):
        part = part.strip()
        counted = _MORE.match(part)
        if counted:
            more += int(counted.group(1))
        elif part:
            parts.append(part)
    return parts, more


def _clean_reason(reason: str) -> str:
    """One line, no ``,`` (the separator of merged reasons), at most ``MAX_REASON_LENGTH`` characters."""
    return " ".join(reason.replace(",", ";").split())[:MAX_REASON_LENGTH]


def merge_reason(current: str, new: str, *, merged: bool = False) -> str:
    """The reason of a request merged from one whose reason is ``current`` (a merged reason) and one whose
    reason is ``new`` (as given by whoever asked, or a merged reason too when ``merged``): distinct reasons
    in the order they came, at most ``MAX_REASONS`` of them, then ``+N more`` counting the merged
    requests whose reasons were left out."""
    parts, more = _reason_parts(current)
    added, added_more = _reason_parts(new) if merged else ([new], 0)
    more += added_more
    for part in (_clean_reason(p) for p in added):
        if not part or part in parts:
            continue
        if len(parts) < MAX_REASONS:
            parts.append(part)
        else:
            more += 1
    return ", ".join(parts + ([f"+{more} more"] if more else []))


def _request(row: Mapping[str, Any]) -> SyncRequest:
    return SyncRequest(id=row["id"], business_id=row["business_id"], entities=_entities_of(row["entities"]),
                       full=bool(row["full_sync"]), reason=row["reason"], requested_at=row["requested_at"],
                       last_requested_at=row["last_requested_at"], request_count=row["request_count"],
                       claimed_by=row["claimed_by"], claimed_at=row["claimed_at"])


_PENDING = sync_requests.c.claimed_at.is_(None)


class SyncRequestStore(SessionScoped):
    """The ``sync_requests`` table: at most one pending request per business, claimed by workers.

    Claiming uses ``SELECT ... FOR UPDATE SKIP LOCKED`` on PostgreSQL (workers on several machines never
    claim the same row and never wait for each other) and a conditional ``UPDATE ... WHERE claimed_at IS
    NULL`` on SQLite (whose writers are serialised anyway).
    """

    def enqueue(self, business_id: int, entities: frozenset[Entity] | None, reason: str, *, full: bool,
                at: datetime) -> SyncRequest:
        """Add a request, or merge it into the business's pending one (entity sets united, ``full`` or-ed)."""
        with self.transaction("enqueue a sync request", write=True) as session:
            ins = dialect_insert(session, sync_requests).values(
                business_id=business_id, entities=_entities_text(entities), full_sync=full,
                reason=merge_reason("", reason),
                requested_at=at, last_requested_at=at, request_count=1, claimed_by=None, claimed_at=None)
            inserted = session.execute(ins.on_conflict_do_nothing(
                index_elements=[sync_requests.c.business_id], index_where=_PENDING
            ).returning(sync_requests.c.id)).scalar()
            if inserted is not None:
                row = session.execute(select(sync_requests).where(sync_requests.c.id == inserted)).mappings().one()
                return _request(row)
            row = session.execute(self._locking(session, select(sync_requests).where(
                sync_requests.c.business_id == business_id, _PENDING))).mappings().one()
            current = _request(row)
            merged = {"entities": _entities_text(merge_entities(current.entities, entities)),
                      "full_sync": current.full or full, "reason": merge_reason(current.reason, reason),
                      "last_requested_at": max(current.last_requested_at, at),
                      "request_count": current.request_count + 1}
            session.execute(update(sync_requests).where(sync_requests.c.id == current.id).values(**merged))
            row = session.execute(select(sync_requests).where(sync_requests.c.id == current.id)).mappings().one()
            return _request(row)

    def claim_next(self, worker_id: str, at: datetime, *, stale_after: timedelta | None = None
                   ) -> SyncRequest | None:
        """Claim the oldest pending request (or one claimed longer than ``stale_after`` ago: its worker
        died); None when there is none."""
        claimable = _PENDING if stale_after is None else or_(
            _PENDING, sync_requests.c.claimed_at < at - stale_after)
        for _ in range(10):
            with self.transaction("claim a sync request", write=True) as session:
                postgres = session.get_bind().dialect.name == "postgresql"
                stmt = select(sync_requests.c.id).where(claimable).order_by(
                    sync_requests.c.requested_at, sync_requests.c.id).limit(1)
                if postgres:
                    stmt = stmt.with_for_update(skip_locked=True)
                candidate = session.execute(stmt).scalar()
                if candidate is None:
                    return None
                result = session.execute(update(sync_requests).where(
                    sync_requests.c.id == candidate, claimable).values(claimed_by=worker_id, claimed_at=at))
                if result.rowcount == 1:
                    row = session.execute(select(sync_requests).where(sync_requests.c.id == candidate)
                                          ).mappings().one()
                    return _request(row)
        return None

    def complete(self, request_id: int) -> None:
        """The request was served: remove it."""
        with self.transaction("complete a sync request", write=True) as session:
            session.execute(delete(sync_requests).where(sync_requests.c.id == request_id))

    def release(self, request_id: int) -> None:
        """Give a claimed request back (not served, e.g. the business was locked): it becomes pending
        again, merged into the business's pending request if one arrived meanwhile."""
        with self.transaction("release a sync request", write=True) as session:
            row = session.execute(self._locking(session, select(sync_requests).where(
                sync_requests.c.id == request_id))).mappings().first()
            if row is None or row["claimed_at"] is None:
                return
            claimed = _request(row)
            pending_row = session.execute(self._locking(session, select(sync_requests).where(
                sync_requests.c.business_id == claimed.business_id, _PENDING))).mappings().first()
            if pending_row is None:
                session.execute(update(sync_requests).where(sync_requests.c.id == request_id)
                                .values(claimed_by=None, claimed_at=None))
                return
            pending = _request(pending_row)
            session.execute(update(sync_requests).where(sync_requests.c.id == pending.id).values(
                entities=_entities_text(merge_entities(pending.entities, claimed.entities)),
                full_sync=pending.full or claimed.full,
                reason=merge_reason(pending.reason, claimed.reason, merged=True),
                requested_at=min(pending.requested_at, claimed.requested_at),
                request_count=pending.request_count + claimed.request_count))
            session.execute(delete(sync_requests).where(sync_requests.c.id == request_id))

    def requests(self, *, pending_only: bool = False) -> list[SyncRequest]:
        stmt = select(sync_requests).order_by(sync_requests.c.requested_at, sync_requests.c.id)
        if pending_only:
            stmt = stmt.where(_PENDING)
        with self.transaction("list sync requests") as session:
            return [_request(row) for row in session.execute(stmt).mappings()]

    @staticmethod
    def _locking(session: Session, stmt):
        return stmt.with_for_update() if session.get_bind().dialect.name == "postgresql" else stmt


