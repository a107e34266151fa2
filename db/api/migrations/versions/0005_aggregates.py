"""host aggregates: aggregates, their hosts and their metadata (availability zones)

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23 12:15:00.000000
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None

_DATETIME = sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mysql')


def upgrade() -> None:
    op.create_table('aggregates',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('uuid', sa.String(length=36), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('deleted', sa.Integer(), server_default='0', nullable=False),
    sa.Column('deleted_at', _DATETIME, nullable=True),
    sa.Column('created_at', _DATETIME, nullable=False),
    sa.Column('updated_at', _DATETIME, nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_aggregates')),
    sa.UniqueConstraint('name', 'deleted', name=op.f('uq_aggregates_name_deleted')),
    sa.UniqueConstraint('uuid', name=op.f('uq_aggregates_uuid'))
    )
    op.create_table('aggregate_hosts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('aggregate_id', sa.Integer(), nullable=False),
    sa.Column('host', sa.String(length=255), nullable=False),
    sa.ForeignKeyConstraint(['aggregate_id'], ['aggregates.id'],
                            name=op.f('fk_aggregate_hosts_aggregate_id_aggregates'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_aggregate_hosts')),
    sa.UniqueConstraint('aggregate_id', 'host',
                        name=op.f('uq_aggregate_hosts_aggregate_id_host'))
    )
    op.create_index('ix_aggregate_hosts_host', 'aggregate_hosts', ['host'], unique=False)
    op.create_table('aggregate_metadata',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('aggregate_id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=255), nullable=False),
    sa.Column('value', sa.String(length=255), nullable=False),
    sa.ForeignKeyConstraint(['aggregate_id'], ['aggregates.id'],
                            name=op.f('fk_aggregate_metadata_aggregate_id_aggregates'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_aggregate_metadata')),
    sa.UniqueConstraint('aggregate_id', 'key',
                        name=op.f('uq_aggregate_metadata_aggregate_id_key'))
    )
    op.create_index('ix_aggregate_metadata_key', 'aggregate_metadata', ['key'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_aggregate_metadata_key', table_name='aggregate_metadata')
    op.drop_table('aggregate_metadata')
    op.drop_index('ix_aggregate_hosts_host', table_name='aggregate_hosts')
    op.drop_table('aggregate_hosts')
    op.drop_table('aggregates')
