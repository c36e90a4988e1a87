"""Initial schema: organisations, users, tokens, sessions, reports, idempotency keys, and the
audit log with its chain head; triggers make the audit log append-only on SQLite and PostgreSQL.

Revision ID: 0001
Revises: (none)
Create Date: 2026-11-28 12:01:45.527534
"""

import sqlalchemy as sa
from alembic import op

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None

GENESIS = "0" * 64  # prev_hash of the first audit entry


def upgrade() -> None:
    op.create_table('audit_head',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('audit_log',
    sa.Column('seq', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('ts', sa.String(length=32), nullable=False),
    sa.Column('actor', sa.String(length=120), nullable=False),
    sa.Column('role', sa.String(length=16), nullable=False),
    sa.Column('organisation', sa.String(length=40), nullable=True),
    sa.Column('action', sa.String(length=40), nullable=False),
    sa.Column('object_type', sa.String(length=40), nullable=True),
    sa.Column('object_id', sa.String(length=120), nullable=True),
    sa.Column('source', sa.String(length=120), nullable=True),
    sa.Column('detail', sa.Text(), nullable=False),
    sa.Column('prev_hash', sa.String(length=64), nullable=False),
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('seq')
    )
    op.create_table('organisations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('category', sa.String(length=8), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('code')
    )
    op.create_table('idempotency_keys',
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=200), nullable=False),
    sa.Column('request_sha256', sa.String(length=64), nullable=False),
    sa.Column('status', sa.Integer(), nullable=False),
    sa.Column('response', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], ),
    sa.PrimaryKeyConstraint('organisation_id', 'key')
    )
    op.create_table('users',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('username', sa.String(length=80), nullable=False),
    sa.Column('password_hash', sa.String(length=200), nullable=True),
    sa.Column('role', sa.String(length=16), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('failed_logins', sa.Integer(), nullable=False),
    sa.Column('locked_until', sa.DateTime(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('username')
    )
    op.create_table('api_tokens',
    sa.Column('id', sa.String(length=16), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('secret_sha256', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('revoked_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('reports',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('source_ref', sa.String(length=120), nullable=True),
    sa.Column('content_sha256', sa.String(length=64), nullable=False),
    sa.Column('submitted_by', sa.Integer(), nullable=True),
    sa.Column('import_id', sa.String(length=36), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('received_date', sa.Date(), nullable=False),
    sa.Column('reporter_category', sa.String(length=8), nullable=False),
    sa.Column('reference_year', sa.Integer(), nullable=True),
    sa.Column('channel', sa.String(length=8), nullable=False),
    sa.Column('age_at_report', sa.Integer(), nullable=True),
    sa.Column('legal_basis', sa.String(length=120), nullable=True),
    sa.Column('consent_registration', sa.String(length=120), nullable=True),
    sa.Column('consent_care_referral', sa.String(length=120), nullable=True),
    sa.Column('age_band', sa.String(length=120), nullable=True),
    sa.Column('sex', sa.String(length=120), nullable=True),
    sa.Column('nationality', sa.String(length=120), nullable=True),
    sa.Column('country_of_birth', sa.String(length=120), nullable=True),
    sa.Column('residence_status', sa.String(length=120), nullable=True),
    sa.Column('exploitation_forms', sa.String(length=120), nullable=True),
    sa.Column('sector', sa.String(length=120), nullable=True),
    sa.Column('nr_group', sa.String(length=120), nullable=True),
    sa.Column('place_of_exploitation', sa.String(length=120), nullable=True),
    sa.Column('complaint_filed', sa.String(length=120), nullable=True),
    sa.Column('reflection_period', sa.String(length=120), nullable=True),
    sa.Column('shelter_requested', sa.String(length=120), nullable=True),
    sa.Column('shelter_placed', sa.String(length=120), nullable=True),
    sa.Column('tok_given', sa.String(length=128), nullable=True),
    sa.Column('tok_given_first', sa.String(length=128), nullable=True),
    sa.Column('tok_surname', sa.String(length=128), nullable=True),
    sa.Column('tok_surname_full', sa.String(length=128), nullable=True),
    sa.Column('tok_name_sorted', sa.String(length=128), nullable=True),
    sa.Column('tok_given_metaphone', sa.String(length=128), nullable=True),
    sa.Column('tok_surname_metaphone', sa.String(length=128), nullable=True),
    sa.Column('tok_given_soundex', sa.String(length=128), nullable=True),
    sa.Column('tok_surname_soundex', sa.String(length=128), nullable=True),
    sa.Column('bf_given', sa.String(length=128), nullable=True),
    sa.Column('bf_surname', sa.String(length=128), nullable=True),
    sa.Column('tok_birth_date', sa.String(length=128), nullable=True),
    sa.Column('tok_birth_year', sa.String(length=128), nullable=True),
    sa.Column('tok_birth_ym', sa.String(length=128), nullable=True),
    sa.Column('tok_birth_md', sa.String(length=128), nullable=True),
    sa.Column('tok_birth_date_swapped', sa.String(length=128), nullable=True),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], ),
    sa.ForeignKeyConstraint(['submitted_by'], ['users.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('organisation_id', 'source_ref', name='uq_reports_org_source_ref')
    )
    with op.batch_alter_table('reports', schema=None) as batch_op:
        batch_op.create_index('ix_reports_org_received', ['organisation_id', 'received_date'],
                              unique=False)
        batch_op.create_index('ix_reports_received', ['received_date'], unique=False)

    op.create_table('web_sessions',
    sa.Column('id_sha256', sa.String(length=64), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('csrf_token', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('expires_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], ),
    sa.PrimaryKeyConstraint('id_sha256')
    )
    op.execute(sa.text("INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, :genesis)")
               .bindparams(genesis=GENESIS))
    if op.get_bind().dialect.name == "sqlite":
        for verb in ("UPDATE", "DELETE"):
            op.execute(f"CREATE TRIGGER audit_log_no_{verb.lower()} BEFORE {verb} ON audit_log "
                       "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END")
    else:
        op.execute("CREATE FUNCTION zicht_audit_append_only() RETURNS trigger AS $$ BEGIN "
                   "RAISE EXCEPTION 'audit_log is append-only'; END $$ LANGUAGE plpgsql")
        op.execute("CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE OR TRUNCATE "
                   "ON audit_log FOR EACH STATEMENT EXECUTE FUNCTION zicht_audit_append_only()")


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS audit_log_no_update")
        op.execute("DROP TRIGGER IF EXISTS audit_log_no_delete")
    else:
        op.execute("DROP TRIGGER IF EXISTS audit_log_append_only ON audit_log")
        op.execute("DROP FUNCTION IF EXISTS zicht_audit_append_only()")
    op.drop_table('web_sessions')
    with op.batch_alter_table('reports', schema=None) as batch_op:
        batch_op.drop_index('ix_reports_received')
        batch_op.drop_index('ix_reports_org_received')

    op.drop_table('reports')
    op.drop_table('api_tokens')
    op.drop_table('users')
    op.drop_table('idempotency_keys')
    op.drop_table('organisations')
    op.drop_table('audit_log')
    op.drop_table('audit_head')
