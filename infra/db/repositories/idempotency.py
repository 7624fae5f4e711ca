"""IdempotencyStore over the ``idempotency_records`` table."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select, update

from infra.db._base import SessionScoped, dialect_insert
from infra.db.api_tables import idempotency_records
from infra.interfaces.access import IDEMPOTENCY_PENDING, IdempotencyRecord
from infra.interfaces.errors import RecordNotFound

__all__ = ["SqlIdempotencyStore"]

_T = idempotency_records


def _record(row: Mapping[str, Any]) -> IdempotencyRecord:
    return IdempotencyRecord(firm_id=row["firm_id"], key=row["key"], fingerprint=row["fingerprint"],
                             status_code=row["status_code"], body=row["body"], created_at=row["created_at"])


class SqlIdempotencyStore(SessionScoped):
    """Implements ``IdempotencyStore``: ``INSERT ... ON CONFLICT DO NOTHING`` on ``(firm_id, key)``, then the
    stored row is read back in the same transaction, so of two racing writers both answer the first one."""

    def get(self, firm_id: int, key: str) -> IdempotencyRecord | None:
        stmt = select(_T).where(_T.c.firm_id == firm_id, _T.c.key == key)
        with self.transaction("read an idempotency record") as session:
            row = session.execute(stmt).mappings().first()
        return _record(row) if row is not None else None

    def put_if_absent(self, record: IdempotencyRecord) -> IdempotencyRecord:
        with self.transaction("store an idempotency record", write=True) as session:
            ins = dialect_insert(session, _T).values(
                firm_id=record.firm_id, key=record.key, fingerprint=record.fingerprint,
                status_code=record.status_code, body=record.body, created_at=record.created_at)
            session.execute(ins.on_conflict_do_nothing(index_elements=[_T.c.firm_id, _T.c.key]))
            row = session.execute(select(_T).where(_T.c.firm_id == record.firm_id, _T.c.key == record.key)
                                  ).mappings().one()
        return _record(row)

    def complete(self, firm_id: int, key: str, status_code: int, body: str) -> IdempotencyRecord:
        where = (_T.c.firm_id == firm_id, _T.c.key == key)
        with self.transaction("store an idempotent answer", write=True) as session:
            session.execute(update(_T).where(*where, _T.c.status_code == IDEMPOTENCY_PENDING)
                            .values(status_code=status_code, body=body))
            row = session.execute(select(_T).where(*where)).mappings().first()
        if row is None:
            raise RecordNotFound(f"no idempotency record for key {key!r} of firm {firm_id}")
        return _record(row)

    def delete_older_than(self, before: datetime) -> int:
        with self.transaction("forget old idempotency records", write=True) as session:
            return session.execute(delete(_T).where(_T.c.created_at < before)).rowcount or 0
