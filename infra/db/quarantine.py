"""The sync quarantine (``sync_quarantine``): QBO entities that could not be mapped or stored, kept with
their payload and error, read again by id on every run and released once they sync fine."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from infra.db._base import SessionScoped, chunks, dialect_insert
from infra.db.sync_tables import sync_quarantine
from infra.interfaces.records import Entity

__all__ = ["QuarantineItem", "QuarantineRecord", "QuarantineStore", "clear_quarantine_ids", "has_quarantine",
           "quarantine", "quarantine_key"]


@dataclass(frozen=True, slots=True)
class QuarantineItem:
    """An entity that could not be mapped or stored: its QBO Id (None if it had none), why, and the payload."""

    qbo_id: str | None
    error: str
    payload: Any


@dataclass(frozen=True, slots=True)
class QuarantineRecord:
    business_id: int
    entity: Entity
    qbo_id: str
    error: str
    payload: Any
    first_seen: datetime
    last_seen: datetime
    times_seen: int


def quarantine_key(qbo_id: str | None, payload: Any) -> str:
    """The ``qbo_id`` a quarantined entity is stored under: its Id, or ``?<hash>`` when it has none."""
    if qbo_id:
        return str(qbo_id)[:64]
    digest = hashlib.sha256(_payload_json(payload).encode()).hexdigest()[:32]
    return f"?{digest}"


def _payload_json(payload: Any) -> str:
    def default(value: Any) -> Any:
        if isinstance(value, Decimal):
            return format(value, "f")
        return str(value)

    try:
        return json.dumps(payload, default=default, sort_keys=True, separators=(",", ":"))
    except (TypeError, ValueError):
        return json.dumps(repr(payload))


_ENTITY_NAMES = frozenset(entity.value for entity in Entity)


class QuarantineStore(SessionScoped):
    """Reads and clears the quarantine, one short transaction per call (``SyncStore.apply`` writes it)."""

    def quarantined(self, business_id: int, entity: Entity | None = None) -> list[QuarantineRecord]:
        stmt = select(sync_quarantine).where(sync_quarantine.c.business_id == business_id)
        if entity is not None:
            stmt = stmt.where(sync_quarantine.c.entity == Entity(entity).value)
        stmt = stmt.order_by(sync_quarantine.c.entity, sync_quarantine.c.qbo_id)
        with self.transaction("read the sync quarantine") as session:
            rows = session.execute(stmt).mappings().all()
        return [QuarantineRecord(business_id=row["business_id"], entity=Entity(row["entity"]), qbo_id=row["qbo_id"],
                                 error=row["error"], payload=json.loads(row["payload"]),
                                 first_seen=row["first_seen"], last_seen=row["last_seen"],
                                 times_seen=row["times_seen"]) for row in rows]

    def quarantined_entities(self, business_id: int) -> set[Entity]:
        """The entities of the business with anything in quarantine (one query, so that a run with an
        empty quarantine asks once rather than once per entity)."""
        stmt = select(sync_quarantine.c.entity).where(sync_quarantine.c.business_id == business_id).distinct()
        with self.transaction("read quarantined entities") as session:
            names = list(session.execute(stmt).scalars())
        return {Entity(name) for name in names if name in _ENTITY_NAMES}

    def quarantined_ids(self, business_id: int, entity: Entity, *, limit: int | None = None) -> list[str]:
        """Quarantined QBO ids of ``entity`` (those keyed ``?<hash>``, without an id, left out)."""
        stmt = select(sync_quarantine.c.qbo_id).where(sync_quarantine.c.business_id == business_id,
                                                      sync_quarantine.c.entity == Entity(entity).value,
                                                      ~sync_quarantine.c.qbo_id.startswith("?"))
        stmt = stmt.order_by(sync_quarantine.c.last_seen, sync_quarantine.c.qbo_id)
        if limit is not None:
            stmt = stmt.limit(limit)
        with self.transaction("read quarantined ids") as session:
            return list(session.execute(stmt).scalars())

    def clear_quarantine(self, business_id: int, entity: Entity, qbo_ids: Iterable[str]) -> int:
        with self.transaction("clear quarantined entities", write=True) as session:
            return clear_quarantine_ids(session, business_id, Entity(entity), list(qbo_ids))

    def clear_quarantine_except(self, business_id: int, entity: Entity, keep: Iterable[str]) -> int:
        """After a complete read of ``entity``: forget the quarantined entries not among ``keep`` (the keys
        quarantined during that read, see ``quarantine_key``). Returns how many were removed."""
        keep = set(keep)
        with self.transaction("clear stale quarantine entries", write=True) as session:
            keys = session.execute(select(sync_quarantine.c.qbo_id).where(
                sync_quarantine.c.business_id == business_id,
                sync_quarantine.c.entity == Entity(entity).value)).scalars().all()
            return clear_quarantine_ids(session, business_id, Entity(entity), [k for k in keys if k not in keep])


def has_quarantine(session: Session, business_id: int, entity: Entity) -> bool:
    return session.execute(select(sync_quarantine.c.qbo_id).where(
        sync_quarantine.c.business_id == business_id, sync_quarantine.c.entity == entity.value).limit(1)
    ).first() is not None


def clear_quarantine_ids(session: Session, business_id: int, entity: Entity, qbo_ids: list[str]) -> int:
    cleared = 0
    for batch in chunks(qbo_ids):
        result = session.execute(delete(sync_quarantine).where(
            sync_quarantine.c.business_id == business_id, sync_quarantine.c.entity == entity.value,
            sync_quarantine.c.qbo_id.in_(batch)))
        cleared += result.rowcount or 0
    return cleared


def quarantine(session: Session, business_id: int, entity: Entity, items: Sequence[QuarantineItem],
                at: datetime) -> set[str]:
    by_key: dict[str, QuarantineItem] = {}
    for item in items:
        by_key[quarantine_key(item.qbo_id, item.payload)] = item
    for key, item in by_key.items():
        values = {"error": item.error[:4000], "payload": _payload_json(item.payload), "last_seen": at}
        ins = dialect_insert(session, sync_quarantine).values(business_id=business_id, entity=entity.value,
                                                              qbo_id=key, first_seen=at, times_seen=1, **values)
        session.execute(ins.on_conflict_do_update(
            index_elements=[sync_quarantine.c.business_id, sync_quarantine.c.entity, sync_quarantine.c.qbo_id],
            set_={**values, "times_seen": sync_quarantine.c.times_seen + 1}))
    return set(by_key)
