"""Database models, engines and one Alembic migration tree per schema (api, cell, placement)."""
