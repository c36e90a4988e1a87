"""Reports get ``referred_to_care`` (issue 21: protection regardless of a complaint, the
referral beside the reflection period and shelter).  A text column like the other process
fields; reports stored before this revision have NULL (not recorded).

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-07 08:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('reports', sa.Column('referred_to_care', sa.String(length=120), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('reports') as batch:
        batch.drop_column('referred_to_care')
