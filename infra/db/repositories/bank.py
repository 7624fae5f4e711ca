"""BankMirror over the ``accounts`` table (bank accounts are ``account_type = 'Bank'``)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import bindparam, select

from infra.db._base import SessionScoped
from infra.db.mapping import account_record
from infra.db.tables import accounts as accounts_table
from infra.db.upsert import upsert_accounts
from infra.interfaces.errors import StorageError
from infra.interfaces.records import AccountRecord

BANK = "Bank"
# Built once, with a bound parameter (building a statement costs about what running this one does).
_BANK_ACCOUNTS = (select(accounts_table)
                  .where(accounts_table.c.business_id == bindparam("business_id"),
                         accounts_table.c.account_type == BANK, accounts_table.c.active)
                  .order_by(accounts_table.c.name, accounts_table.c.qbo_id))


class SqlBankMirror(SessionScoped):
    """Implements ``BankMirror``."""

    def bank_accounts(self, business_id: int) -> list[AccountRecord]:
        with self.transaction("list bank accounts") as session:
            rows = session.execute(_BANK_ACCOUNTS, {"business_id": business_id}).mappings().all()
            return [account_record(row) for row in rows]

    def store_bank_accounts(self, business_id: int, accounts: Sequence[AccountRecord]) -> None:
        """Upserts the accounts (newer or equal SyncToken wins; an older one is ignored)."""
        for account in accounts:
            if account.business_id != business_id:
                raise StorageError(f"account {account.qbo_id} belongs to business {account.business_id}, "
                                   f"not {business_id}")
        with self.transaction("store bank accounts", write=True) as session:
            upsert_accounts(session, accounts)
