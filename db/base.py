"""Column types and conventions every schema's models share."""

from __future__ import annotations

import datetime

import sqlalchemy as sa
from sqlalchemy import orm
from sqlalchemy.dialects import mysql

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

UUID = sa.String(36)
# Microsecond timestamps on MySQL, so sorting by creation time is stable under load.
DateTime = sa.DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql")


def utcnow() -> datetime.datetime:
    """Timezone-naive UTC now, the form every DATETIME column stores."""
    return datetime.datetime.now(datetime.UTC).replace(tzinfo=None)


class TimestampMixin:
    """created_at / updated_at columns, microsecond precision on MySQL."""

    created_at: orm.Mapped[datetime.datetime] = orm.mapped_column(
        DateTime, default=utcnow, nullable=False)
    updated_at: orm.Mapped[datetime.datetime | None] = orm.mapped_column(
        DateTime, onupdate=utcnow, nullable=True)
