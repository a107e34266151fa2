"""flavor access: the projects that may use a private flavor

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 12:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('flavor_projects',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('flavor_id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.String(length=255), nullable=False),
    sa.ForeignKeyConstraint(['flavor_id'], ['flavors.id'],
                            name=op.f('fk_flavor_projects_flavor_id_flavors'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_flavor_projects')),
    sa.UniqueConstraint('flavor_id', 'project_id',
                        name=op.f('uq_flavor_projects_flavor_id_project_id'))
    )


def downgrade() -> None:
    op.drop_table('flavor_projects')
