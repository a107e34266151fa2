"""tags

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 09:26:20.391661
"""

import sqlalchemy as sa
from alembic import op

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('tags',
    sa.Column('instance_uuid', sa.String(length=36), nullable=False),
    sa.Column('tag', sa.String(length=80), nullable=False),
    sa.PrimaryKeyConstraint('instance_uuid', 'tag', name=op.f('pk_tags'))
    )
