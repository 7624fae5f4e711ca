"""Alembic environment for the mirror schema.

Run through ``infra.db.migrate.upgrade_to_head`` (which builds the ``Config`` in code and hands over a
connection in ``config.attributes["connection"]``) or the alembic CLI with ``sqlalchemy.url`` set.
"""

from __future__ import annotations

from alembic import context

import infra.db.api_tables  # noqa: F401  (registers the HTTP API's access tables on metadata)
import infra.db.sync_tables  # noqa: F401  (registers the sync machinery's tables on metadata)
from infra.db.engine import create_engine_for
from infra.db.migrate import migration_transaction
from infra.db.tables import metadata

config = context.config


def _configure(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        compare_type=True,
        render_as_batch=connection.dialect.name == "sqlite",  # SQLite cannot ALTER most things
    )


def run_migrations_offline() -> None:
    context.configure(url=config.get_main_option("sqlalchemy.url"), target_metadata=metadata,
                      literal_binds=True, dialect_opts={"paramstyle": "named"})
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _configure(connection)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = create_engine_for(config.get_main_option("sqlalchemy.url"))
    try:
        with migration_transaction(engine) as connection:  # SQLite: foreign keys off while tables are rebuilt
            _configure(connection)
            with context.begin_transaction():
                context.run_migrations()
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
