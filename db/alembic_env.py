"""The body every schema's Alembic ``env.py`` shares."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import context


def run(metadata: sa.MetaData) -> None:
    """Run the migrations of the current Alembic context against ``metadata``."""
    config = context.config
    connection = config.attributes.get("connection")
    if connection is not None:
        _run_on(connection, metadata)
        return
    engine = sa.create_engine(config.get_main_option("sqlalchemy.url"),
                              poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as conn:
            _run_on(conn, metadata)
    finally:
        engine.dispose()


def _run_on(connection: sa.Connection, metadata: sa.MetaData) -> None:
    context.configure(connection=connection, target_metadata=metadata,
                      render_as_batch=connection.dialect.name == "sqlite",
                      compare_type=True)
    with context.begin_transaction():
        context.run_migrations()
