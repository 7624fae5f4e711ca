"""AdvisorDirectory and ApiTokenStore over the ``advisors``, ``api_tokens`` and ``firms`` tables."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, insert, select, update

from infra.db._base import SessionScoped
from infra.db.api_tables import advisors, api_tokens
from infra.db.mapping import firm_record
from infra.db.tables import firms
from infra.interfaces.access import AdvisorRecord, ApiTokenRecord, TokenOwner
from infra.interfaces.errors import RecordNotFound
from infra.interfaces.records import FirmRecord

__all__ = ["SqlAdvisorDirectory", "SqlApiTokenStore"]


def _advisor(row: Mapping[str, Any]) -> AdvisorRecord:
    return AdvisorRecord(id=row["id"], firm_id=row["firm_id"], email=row["email"], name=row["name"],
                         created_at=row["created_at"])


def _token(row: Mapping[str, Any]) -> ApiTokenRecord:
    return ApiTokenRecord(id=row["id"], advisor_id=row["advisor_id"], token_hash=row["token_hash"],
                          prefix=row["prefix"], label=row["label"], created_at=row["created_at"],
                          last_used_at=row["last_used_at"], revoked_at=row["revoked_at"],
                          expires_at=row["expires_at"])


class SqlAdvisorDirectory(SessionScoped):
    """Implements ``AdvisorDirectory``."""

    def find_firm_by_name(self, name: str) -> FirmRecord | None:
        stmt = select(firms).where(firms.c.name == name).order_by(firms.c.id).limit(1)
        with self.transaction("find a firm by name") as session:
            row = session.execute(stmt).mappings().first()
        return firm_record(row) if row is not None else None

    def create_firm(self, name: str) -> FirmRecord:
        with self.transaction("create a firm", write=True) as session:
            firm_id = session.execute(insert(firms).values(name=name).returning(firms.c.id)).scalar_one()
        return FirmRecord(id=firm_id, name=name)

    def get_advisor(self, advisor_id: int) -> AdvisorRecord:
        with self.transaction("read an advisor") as session:
            row = session.execute(select(advisors).where(advisors.c.id == advisor_id)).mappings().first()
        if row is None:
            raise RecordNotFound(f"no advisor with id {advisor_id}")
        return _advisor(row)

    def find_advisor_by_email(self, email: str) -> AdvisorRecord | None:
        with self.transaction("find an advisor by e-mail") as session:
            row = session.execute(select(advisors).where(advisors.c.email == email)).mappings().first()
        return _advisor(row) if row is not None else None

    def create_advisor(self, firm_id: int, email: str, name: str | None, created_at: datetime) -> AdvisorRecord:
        with self.transaction("create an advisor", write=True) as session:
            advisor_id = session.execute(insert(advisors).values(
                firm_id=firm_id, email=email, name=name, created_at=created_at).returning(advisors.c.id)).scalar_one()
            row = session.execute(select(advisors).where(advisors.c.id == advisor_id)).mappings().one()
        return _advisor(row)

    def list_advisors(self, firm_id: int) -> list[AdvisorRecord]:
        stmt = select(advisors).where(advisors.c.firm_id == firm_id).order_by(advisors.c.id)
        with self.transaction("list advisors") as session:
            return [_advisor(row) for row in session.execute(stmt).mappings()]


# The columns of one authentication lookup: token, advisor and firm in one indexed query.
_OWNER_COLUMNS = (
    *api_tokens.c,
    advisors.c.firm_id.label("advisor_firm_id"), advisors.c.email.label("advisor_email"),
    advisors.c.name.label("advisor_name"), advisors.c.created_at.label("advisor_created_at"),
    firms.c.name.label("firm_name"),
)
# Built once, with a bound parameter: every request authenticates, and building the statement cost more
# than running it.
_OWNER_BY_HASH = (select(*_OWNER_COLUMNS)
                  .join(advisors, advisors.c.id == api_tokens.c.advisor_id)
                  .join(firms, firms.c.id == advisors.c.firm_id)
                  .where(api_tokens.c.token_hash == bindparam("token_hash")))


class SqlApiTokenStore(SessionScoped):
    """Implements ``ApiTokenStore``. Tokens are found by their digest through the unique index on
    ``token_hash``: the secret itself is never stored nor compared."""

    def add_token(self, advisor_id: int, token_hash: str, prefix: str, label: str | None,
                  created_at: datetime, expires_at: datetime | None = None) -> ApiTokenRecord:
        with self.transaction("store an API token", write=True) as session:
            token_id = session.execute(insert(api_tokens).values(
                advisor_id=advisor_id, token_hash=token_hash, prefix=prefix, label=label, created_at=created_at,
                last_used_at=None, revoked_at=None, expires_at=expires_at).returning(api_tokens.c.id)).scalar_one()
            row = session.execute(select(api_tokens).where(api_tokens.c.id == token_id)).mappings().one()
        return _token(row)

    def find_by_hash(self, token_hash: str) -> TokenOwner | None:
        with self.transaction("authenticate an API token") as session:
            row = session.execute(_OWNER_BY_HASH, {"token_hash": token_hash}).mappings().first()
        if row is None:
            return None
        advisor = AdvisorRecord(id=row["advisor_id"], firm_id=row["advisor_firm_id"], email=row["advisor_email"],
                                name=row["advisor_name"], created_at=row["advisor_created_at"])
        return TokenOwner(_token(row), advisor, FirmRecord(id=row["advisor_firm_id"], name=row["firm_name"]))

    def mark_used(self, token_id: int, at: datetime) -> None:
        with self.transaction("mark an API token used", write=True) as session:
            session.execute(update(api_tokens).where(api_tokens.c.id == token_id).values(last_used_at=at))

    def revoke(self, token_id: int, at: datetime) -> None:
        with self.transaction("revoke an API token", write=True) as session:
            session.execute(update(api_tokens).where(api_tokens.c.id == token_id, api_tokens.c.revoked_at.is_(None))
                            .values(revoked_at=at))

    def list_tokens(self, advisor_id: int) -> list[ApiTokenRecord]:
        stmt = select(api_tokens).where(api_tokens.c.advisor_id == advisor_id).order_by(api_tokens.c.id)
        with self.transaction("list API tokens") as session:
            return [_token(row) for row in session.execute(stmt).mappings()]
