"""Change log of providers, read by each worker's in-memory candidate index.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-30 10:00:00.000000
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

DATETIME = sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mysql')

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('provider_changes',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False,
              autoincrement=True),
    sa.Column('resource_provider_id', sa.Integer(), nullable=True),
    sa.Column('usage_only', sa.Boolean(), nullable=False, server_default=sa.false()),
    sa.Column('created_at', DATETIME, nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_provider_changes'))
    )


def downgrade() -> None:
    op.drop_table('provider_changes')
