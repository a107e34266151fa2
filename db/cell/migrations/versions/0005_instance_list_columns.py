"""instance list columns: hostname, key name, description, access addresses, config
drive and progress, which Nova's server lists filter and sort by

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23 16:40:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None

_COLUMNS = (
    ('hostname', sa.String(length=255)),
    ('key_name', sa.String(length=255)),
    ('display_description', sa.String(length=255)),
    ('access_ip_v4', sa.String(length=39)),
    ('access_ip_v6', sa.String(length=39)),
    ('config_drive', sa.String(length=255)),
    ('progress', sa.Integer()),
)


def upgrade() -> None:
    with op.batch_alter_table('instances', schema=None) as batch_op:
        for name, type_ in _COLUMNS:
            batch_op.add_column(sa.Column(name, type_, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('instances', schema=None) as batch_op:
        for name, _type in reversed(_COLUMNS):
            batch_op.drop_column(name)
