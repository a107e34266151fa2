"""image service: protection, hidden flag, multihash, tags

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 11:58:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('images', schema=None) as batch_op:
        batch_op.add_column(sa.Column('protected', sa.Boolean(), server_default=sa.false(),
                                      nullable=False))
        batch_op.add_column(sa.Column('os_hidden', sa.Boolean(), server_default=sa.false(),
                                      nullable=False))
        batch_op.add_column(sa.Column('os_hash_algo', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('os_hash_value', sa.String(length=128), nullable=True))
        batch_op.create_index(batch_op.f('ix_images_owner'), ['owner'], unique=False)
    op.create_table('image_tags',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('image_id', sa.Integer(), nullable=False),
    sa.Column('value', sa.String(length=255), nullable=False),
    sa.ForeignKeyConstraint(['image_id'], ['images.id'],
                            name=op.f('fk_image_tags_image_id_images'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_image_tags')),
    sa.UniqueConstraint('image_id', 'value', name=op.f('uq_image_tags_image_id_value'))
    )


def downgrade() -> None:
    op.drop_table('image_tags')
    with op.batch_alter_table('images', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_images_owner'))
        batch_op.drop_column('os_hash_value')
        batch_op.drop_column('os_hash_algo')
        batch_op.drop_column('os_hidden')
        batch_op.drop_column('protected')
