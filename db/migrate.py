"""Run the Alembic tree of one schema against one database URL."""

from __future__ import annotations

import pathlib

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from db import engine as db_engine

SCHEMAS = ("api", "cell", "placement")
_ROOT = pathlib.Path(__file__).resolve().parent


def alembic_config(schema: str, url: str) -> Config:
    """An Alembic configuration for ``schema`` pointed at ``url``."""
    if schema not in SCHEMAS:
        raise ValueError(f"unknown schema {schema!r}")
    config = Config()
    config.set_main_option("script_location", str(_ROOT / schema / "migrations"))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def ensure_database(url: str) -> None:
    """Create the MySQL/MariaDB database named in ``url`` if it does not exist."""
    parsed = sa.make_url(url)
    if not parsed.drivername.startswith("mysql") or not parsed.database:
        return
    server = db_engine.create_engine(parsed.set(database=""), poolclass=sa.pool.NullPool)
    try:
        with server.begin() as conn:
            conn.execute(sa.text(
                f"CREATE DATABASE IF NOT EXISTS `{parsed.database}` "
                "CHARACTER SET utf8mb4 COLLATE utf8mb4_bin"))
    finally:
        server.dispose()


def upgrade(schema: str, url: str, revision: str = "head") -> None:
    """Bring the database at ``url`` to ``revision`` of ``schema``."""
    ensure_database(url)
    command.upgrade(alembic_config(schema, url), revision)


def current_revision(url: str) -> str | None:
    """The revision the database at ``url`` is at, or None before the first sync."""
    engine = db_engine.create_engine(url, poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()
    finally:
        engine.dispose()


def head_revision(schema: str) -> str | None:
    """The newest revision of ``schema``'s tree."""
    return ScriptDirectory.from_config(alembic_config(schema, "sqlite://")).get_current_head()
