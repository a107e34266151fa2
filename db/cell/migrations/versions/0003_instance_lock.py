"""instance lock

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 12:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('instances', sa.Column('locked', sa.Boolean(), nullable=False,
                                         server_default=sa.false()))
    op.add_column('instances', sa.Column('locked_by', sa.String(length=5), nullable=True))
    op.add_column('instances', sa.Column('locked_reason', sa.String(length=255),
                                         nullable=True))
