"""Apply the mirror's Alembic migrations from code (no ``alembic.ini`` needed)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, Engine

from infra.db.engine import create_engine_for, normalize_url

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def alembic_config(url: str | None = None) -> Config:
    """An Alembic ``Config`` pointing at ``infra/db/migrations`` (and at ``url`` when given)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("path_separator", "os")
    if url is not None:
        config.set_main_option("sqlalchemy.url", normalize_url(url).replace("%", "%%"))
    return config


def _run(target: str | os.PathLike[str] | Engine | Connection, revision: str, *, downgrade: bool) -> None:
    def run(connection: Connection) -> None:
        if connection.dialect.name == "postgresql":
            # A migration may rewrite big tables: the engine's statement_timeout is for requests, not for it.
            connection.exec_driver_sql("SET LOCAL statement_timeout = 0")
        config = alembic_config()
        config.attributes["connection"] = connection
        if downgrade:
            command.downgrade(config, revision)
        else:
            command.upgrade(config, revision)

    if isinstance(target, Connection):
        run(target)
        return
    engine = target if isinstance(target, Engine) else create_engine_for(target)
    try:
        with migration_transaction(engine) as connection:
            run(connection)
    finally:
        if engine is not target:
            engine.dispose()


@contextmanager
def migration_transaction(engine: Engine) -> Iterator[Connection]:
    """A connection in one transaction for migrations (committed when the block ends without error).

    On SQLite, foreign keys are not enforced inside it, and checked (``PRAGMA foreign_key_check``) before
    the commit when the revision changed: batch mode changes a constraint by rebuilding the table (copy,
    drop, rename), and dropping ``businesses`` with foreign keys enforced would cascade-delete every mirror
    row that references it. SQLite ignores the pragma inside a transaction, so it is set on the driver
    connection before BEGIN. (A database already at the revision is not scanned: every start runs this.)
    """
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as connection:
        sqlite = engine.dialect.name == "sqlite"
        driver = connection.connection.driver_connection if sqlite else None
        if driver is not None:
            driver.execute("PRAGMA foreign_keys=OFF")
        try:
            with connection.begin():
                before = MigrationContext.configure(connection).get_current_revision() if sqlite else None
                yield connection
                if sqlite and MigrationContext.configure(connection).get_current_revision() != before:
                    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").all()
                    if broken:
                        raise RuntimeError(f"the migration left rows whose foreign keys point nowhere: {broken[:5]}")
        finally:
            if driver is not None:
                driver.execute("PRAGMA foreign_keys=ON")


def upgrade_to_head(url_or_engine: str | os.PathLike[str] | Engine | Connection) -> None:
    """Bring the database at ``url_or_engine`` (URL, SQLite path, Engine or Connection) to the newest schema,
    in one transaction."""
    _run(url_or_engine, "head", downgrade=False)


def upgrade_to(url_or_engine: str | os.PathLike[str] | Engine | Connection, revision: str) -> None:
    """Apply migrations up to ``revision`` only (a database left at an older schema, as in upgrade tests)."""
    _run(url_or_engine, revision, downgrade=False)


def downgrade_to(url_or_engine: str | os.PathLike[str] | Engine | Connection, revision: str = "base") -> None:
    """Undo migrations down to ``revision`` (``"base"``: drop the whole schema)."""
    _run(url_or_engine, revision, downgrade=True)


def current_revision(url_or_engine: str | os.PathLike[str] | Engine) -> str | None:
    """The revision the database is at (None if it was never migrated)."""
    from alembic.runtime.migration import MigrationContext

    engine = url_or_engine if isinstance(url_or_engine, Engine) else create_engine_for(url_or_engine)
    try:
        with engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()
    finally:
        if engine is not url_or_engine:
            engine.dispose()
