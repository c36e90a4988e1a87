"""Reports get ``key_fingerprint``: the fingerprint of the pseudonymisation key their tokens
were made with (issue 20).  The export is labelled with it, not with whatever key is configured
when it runs, so that linkage refuses tokens made under another key; and intake refuses a key
other than the one the registry's reports were made with.  Reports stored before this revision
keep NULL: which key made them is not recorded (see ``Store.check_key``).

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-07 05:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('reports', sa.Column('key_fingerprint', sa.String(length=16), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('reports') as batch:
        batch.drop_column('key_fingerprint')
