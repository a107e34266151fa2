"""fixed IPs: the addresses of the provider network held by instances

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23 12:30:00.000000
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('fixed_ips',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('network_uuid', sa.String(length=36), nullable=False),
    sa.Column('address', sa.String(length=39), nullable=False),
    sa.Column('instance_uuid', sa.String(length=36), nullable=False),
    sa.Column('mac_address', sa.String(length=17), nullable=False),
    sa.Column('created_at', sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mysql'),
              nullable=False),
    sa.Column('updated_at', sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mysql'),
              nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_fixed_ips')),
    sa.UniqueConstraint('instance_uuid', 'network_uuid',
                        name=op.f('uq_fixed_ips_instance_uuid_network_uuid')),
    sa.UniqueConstraint('network_uuid', 'address',
                        name=op.f('uq_fixed_ips_network_uuid_address'))
    )


def downgrade() -> None:
    op.drop_table('fixed_ips')
