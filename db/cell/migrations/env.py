"""Alembic environment of the cell schema."""

from db.alembic_env import run
from db.cell.models import Base

run(Base.metadata)
