"""BusinessDirectory over the ``firms`` and ``businesses`` tables."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import bindparam, select

from infra.db._base import SessionScoped
from infra.db.mapping import business_record, firm_record
from infra.db.tables import businesses, firms
from infra.interfaces.errors import RecordNotFound
from infra.interfaces.records import BusinessRecord, FirmRecord

# Bound parameters per IN list: far below SQLite's (32766) and PostgreSQL's (65535) limits.
REALM_BATCH = 5000
# Built once, with a bound parameter: every client route reads its business.
_BUSINESS_BY_ID = select(businesses).where(businesses.c.id == bindparam("id"))


class SqlBusinessDirectory(SessionScoped):
    """Implements ``BusinessDirectory``."""

    def get_business(self, business_id: int) -> BusinessRecord:
        # Kept for the session: inside a read scope the tenancy check and the answer read the business once.
        with self.transaction("read a business") as session:
            key = ("business", business_id)
            if key not in session.info:
                row = session.execute(_BUSINESS_BY_ID, {"id": business_id}).mappings().first()
                session.info[key] = business_record(row) if row is not None else None
            found = session.info[key]
        if found is None:
            raise RecordNotFound(f"no business with id {business_id}")
        return found

    def list_businesses(self, firm_id: int | None = None) -> list[BusinessRecord]:
        stmt = select(businesses).order_by(businesses.c.id)
        if firm_id is not None:
            stmt = stmt.where(businesses.c.firm_id == firm_id)
        with self.transaction("list businesses") as session:
            return [business_record(row) for row in session.execute(stmt).mappings()]

    def list_firms(self) -> list[FirmRecord]:
        with self.transaction("list firms") as session:
            return [firm_record(row) for row in session.execute(select(firms).order_by(firms.c.id)).mappings()]

    # -- beyond the port ----------------------------------------------------------------------------

    def get_firm(self, firm_id: int) -> FirmRecord:
        """The firm with that id; ``RecordNotFound`` if there is none."""
        with self.transaction("read a firm") as session:
            row = session.execute(select(firms).where(firms.c.id == firm_id)).mappings().first()
        if row is None:
            raise RecordNotFound(f"no firm with id {firm_id}")
        return firm_record(row)

    def business_ids_for_realms(self, realm_ids: Iterable[str]) -> dict[str, list[int]]:
        """realm id -> the ids of every business connected to it (several firms may connect one QBO company),
        in ascending order, for each of ``realm_ids`` that has one (the others are absent); in one
        transaction and one query per ``REALM_BATCH`` ids (a webhook delivery may name thousands)."""
        wanted = sorted({str(r) for r in realm_ids})
        found: dict[str, list[int]] = {}
        if not wanted:
            return found
        with self.transaction("find businesses by realm") as session:
            for start in range(0, len(wanted), REALM_BATCH):
                batch = wanted[start:start + REALM_BATCH]
                rows = session.execute(select(businesses.c.qbo_realm_id, businesses.c.id)
                                       .where(businesses.c.qbo_realm_id.in_(batch))
                                       .order_by(businesses.c.qbo_realm_id, businesses.c.id))
                for realm, business_id in rows:
                    found.setdefault(realm, []).append(business_id)
        return found

    def businesses_for_realm(self, qbo_realm_id: str) -> list[BusinessRecord]:
        """Every business connected to that QBO company (one per firm that connected it), by id."""
        with self.transaction("read businesses by realm") as session:
            rows = session.execute(select(businesses).where(businesses.c.qbo_realm_id == qbo_realm_id)
                                   .order_by(businesses.c.id)).mappings()
            return [business_record(row) for row in rows]

    def get_business_by_realm(self, firm_id: int, qbo_realm_id: str) -> BusinessRecord:
        """The business of firm ``firm_id`` connected to that QBO company (a firm connects a company once);
        ``RecordNotFound`` if there is none."""
        with self.transaction("read a business by realm") as session:
            row = session.execute(select(businesses).where(businesses.c.firm_id == firm_id,
                                                           businesses.c.qbo_realm_id == qbo_realm_id)
                                  ).mappings().first()
        if row is None:
            raise RecordNotFound(f"no business of firm {firm_id} connected to QBO realm {qbo_realm_id}")
        return business_record(row)
