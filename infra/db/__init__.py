"""The mirror database: SQLAlchemy 2 schema, Alembic migrations, repositories for the local ports.

Nothing is created at import time; the composition root (``runway.bootstrap``) wires it::

    engine = create_engine_for(url)            # infra.db.engine (SQLite path/URL or PostgreSQL URL)
    upgrade_to_head(engine)                    # infra.db.migrate
    sessions = create_session_factory(engine)  # infra.db.engine
    bills = SqlBillMirror(sessions)            # infra.db.repositories (one class per local port)
    writer = MirrorWriter(sessions)            # infra.db.writer (sync jobs, connecting companies)
    tokens = DbTokenStore(sessions, key)       # infra.db.token_store
    with read_scope(sessions): ...             # infra.db.unit_of_work: the reads of one answer, one transaction
"""
