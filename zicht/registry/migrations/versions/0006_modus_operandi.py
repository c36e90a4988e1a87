"""Reports get ``means_of_control`` (codes joined by ";") and ``recruiter_relation`` (issue 21:
the traffickers' modus operandi, coded as the CTDC codebook's means of control and recruiter
relation).  Reports stored before this revision have NULL (not recorded).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-07 11:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('reports', sa.Column('means_of_control', sa.String(length=400), nullable=True))
    op.add_column('reports', sa.Column('recruiter_relation', sa.String(length=120),
                                       nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('reports') as batch:
        batch.drop_column('recruiter_relation')
        batch.drop_column('means_of_control')
