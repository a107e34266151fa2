"""Alembic environment of the api schema."""

from db.alembic_env import run
from db.api.models import Base

run(Base.metadata)
