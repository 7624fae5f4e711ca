"""A QBO company (realm) may be connected by several firms: ``businesses.qbo_realm_id`` is unique per firm
(``uq_businesses_qbo_realm_id_firm_id``) instead of globally (``uq_businesses_qbo_realm_id``).

On SQLite the constraint change rebuilds ``businesses`` (batch mode: copy, drop, rename). Dropping a table
with foreign keys enforced deletes every row that references it through ``ON DELETE CASCADE``, i.e. every
mirror row, so this migration refuses to run on a SQLite connection that enforces them;
``infra.db.migrate`` runs migrations with them off and checks them before committing.

The downgrade refuses while some realm is connected by more than one firm (the old constraint could not
hold); disconnect the extra businesses first.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _refuse_cascading_rebuild() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "sqlite" and bind.exec_driver_sql("PRAGMA foreign_keys").scalar():
        raise RuntimeError("revision 0005 rebuilds the businesses table, which with SQLite foreign keys enforced "
                           "would cascade-delete every mirror row: run it through infra.db.migrate (foreign "
                           "keys off during the migration, checked before commit)")


def upgrade() -> None:
    _refuse_cascading_rebuild()
    with op.batch_alter_table("businesses") as batch:
        batch.drop_constraint("uq_businesses_qbo_realm_id", type_="unique")
        batch.create_unique_constraint("uq_businesses_qbo_realm_id_firm_id", ["qbo_realm_id", "firm_id"])


def downgrade() -> None:
    _refuse_cascading_rebuild()
    shared = op.get_bind().exec_driver_sql(
        "SELECT qbo_realm_id FROM businesses GROUP BY qbo_realm_id HAVING COUNT(*) > 1 ORDER BY qbo_realm_id"
    ).scalars().all()
    if shared:
        raise RuntimeError(f"cannot downgrade below 0005: realms {', '.join(shared[:10])} are connected by more "
                           f"than one firm (the global uniqueness of 0004 could not hold)")
    with op.batch_alter_table("businesses") as batch:
        batch.drop_constraint("uq_businesses_qbo_realm_id_firm_id", type_="unique")
        batch.create_unique_constraint("uq_businesses_qbo_realm_id", ["qbo_realm_id"])
