"""Alembic environment of the placement schema."""

from db.alembic_env import run
from db.placement.models import Base

run(Base.metadata)
