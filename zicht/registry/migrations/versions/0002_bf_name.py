"""Reports get ``bf_name``: the Bloom filter of all name parts sorted (order-free spelling
similarity for linkage).  Reports stored before this revision keep NULL: their clear names were
never stored, so the filter cannot be made afterwards.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28 14:45:00
"""

import sqlalchemy as sa
from alembic import op

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('reports', sa.Column('bf_name', sa.String(length=128), nullable=True))


def downgrade() -> None:
    op.drop_column('reports', 'bf_name')
