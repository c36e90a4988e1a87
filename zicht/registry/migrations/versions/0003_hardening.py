"""Hardening (issue 14): no recomputable digest of identifying input; imports staged in
chunks; revocations seen at once; user names compared case-folded.

- ``idempotency_keys.request_sha256`` (a plain SHA-256 of a request holding names and a birth
  date) becomes ``request_digest`` = HMAC(digest key, that SHA-256): a retry of a stored
  request still matches (new requests are digested the same way), and the stored value can no
  longer be tested against guesses without the key.
- The audit log's ``import`` entries held the plain SHA-256 of the uploaded file; it becomes
  ``file_digest`` = HMAC(digest key, that SHA-256).  The audit log is append-only and
  chained, so the entries from the first rewritten one on are re-hashed and the head moved;
  a ``rewrite`` entry appended at the end names the first rewritten entry, how many were
  re-hashed and the previous head (a head kept elsewhere from before this migration matches
  that value, not the new chain).
- ``imports`` (staged file imports) and ``auth_state`` (the revocation epoch) are new;
  ``reports.import_id`` gets an index.
- ``users.username_key`` (NFKC, case-folded) is unique.  Should two existing users differ only
  in case or width, the later one is deactivated and its key marked, and a warning is logged.

The digest key is derived from the pseudonymisation key; the migration asks for it only when
there is something to rewrite.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-06 09:00:00
"""

import json
import logging

import sqlalchemy as sa
from alembic import context, op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None

log = logging.getLogger("zicht.registry.migrations")


def _digest_key():
    provider = context.config.attributes.get("digest_key")
    if provider is None:
        raise RuntimeError(
            "migration 0003 rewrites stored digests under the registry's key: run it through "
            "`zicht db upgrade` (or `zicht serve`) with ZICHT_PSEUDONYM_KEY or "
            "ZICHT_PSEUDONYM_KEY_FILE set")
    from zicht.registry.security import Digester

    return Digester(provider())


def upgrade() -> None:
    bind = op.get_bind()
    sqlite = bind.dialect.name == "sqlite"
    digester = None

    def digests():
        nonlocal digester
        if digester is None:
            digester = _digest_key()
        return digester

    # -- idempotency keys -------------------------------------------------------------------
    op.add_column('idempotency_keys', sa.Column('request_digest', sa.String(length=64),
                                                nullable=True))
    keys = sa.table('idempotency_keys', sa.column('organisation_id'), sa.column('key'),
                    sa.column('request_sha256'), sa.column('request_digest'))
    for org, key, plain in bind.execute(sa.select(keys.c.organisation_id, keys.c.key,
                                                  keys.c.request_sha256)).all():
        bind.execute(keys.update().where(keys.c.organisation_id == org, keys.c.key == key)
                     .values(request_digest=digests().hex(plain)))
    with op.batch_alter_table('idempotency_keys') as batch:
        batch.alter_column('request_digest', existing_type=sa.String(length=64),
                           nullable=False)
        batch.drop_column('request_sha256')

    # -- users: case-folded unique names ----------------------------------------------------
    from zicht.registry.security import username_key

    op.add_column('users', sa.Column('username_key', sa.String(length=200), nullable=True))
    users = sa.table('users', sa.column('id'), sa.column('username'),
                     sa.column('username_key'), sa.column('active'))
    seen = set()
    for uid, name in bind.execute(sa.select(users.c.id, users.c.username)
                                  .order_by(users.c.id)).all():
        key = username_key(name)
        values = {"username_key": key}
        if key in seen:  # a look-alike of an older account: switched off, key marked
            values = {"username_key": f"{key}#{uid}", "active": False}
            log.warning("user %r differs from an older user only in case or width: "
                        "deactivated (rename or remove it)", name)
        seen.add(key)
        bind.execute(users.update().where(users.c.id == uid).values(**values))
    op.create_index('uq_users_username_key', 'users', ['username_key'], unique=True)

    # -- staged imports, revocation epoch ----------------------------------------------------
    op.create_table(
        'imports',
        sa.Column('id', sa.String(length=36), nullable=False),
        sa.Column('organisation_id', sa.Integer(), nullable=True),
        sa.Column('submitted_by', sa.Integer(), nullable=True),
        sa.Column('state', sa.String(length=16), nullable=False),
        sa.Column('rows', sa.Integer(), nullable=False),
        sa.Column('created', sa.Integer(), nullable=False),
        sa.Column('existing', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id']),
        sa.ForeignKeyConstraint(['submitted_by'], ['users.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_table(
        'auth_state',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('epoch', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
    )
    op.execute("INSERT INTO auth_state (id, epoch) VALUES (1, 0)")
    with op.batch_alter_table('reports') as batch:
        batch.create_index('ix_reports_import', ['import_id'], unique=False)

    # -- the audit log's file digests ----------------------------------------------------------
    _rewrite_audit(bind, sqlite, digests)


def _rewrite_audit(bind, sqlite: bool, digests) -> None:
    from zicht.registry import audit

    log_t = sa.table('audit_log', *(sa.column(c) for c in audit.FIELDS),
                     sa.column('prev_hash'), sa.column('hash'))
    first = None
    for seq, detail in bind.execute(sa.select(log_t.c.seq, log_t.c.detail)
                                    .where(log_t.c.action == "import")
                                    .order_by(log_t.c.seq)):
        if "sha256" in json.loads(detail):
            first = seq
            break
    if first is None:
        return
    head_t = sa.table('audit_head', sa.column('id'), sa.column('seq'), sa.column('hash'))
    old_seq, old_hash = bind.execute(sa.select(head_t.c.seq, head_t.c.hash)
                                     .where(head_t.c.id == 1)).one()
    if sqlite:
        bind.exec_driver_sql("DROP TRIGGER IF EXISTS audit_log_no_update")
    else:
        bind.exec_driver_sql("ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only")
    prev = bind.execute(sa.select(log_t.c.hash).where(log_t.c.seq == first - 1)).scalar() \
        or audit.GENESIS
    rewritten = 0
    last = first - 1
    while True:
        rows = bind.execute(sa.select(log_t).where(log_t.c.seq > last).order_by(log_t.c.seq)
                            .limit(2000)).mappings().all()
        if not rows:
            break
        for row in rows:
            values = dict(row)
            detail = json.loads(values["detail"])
            if values["action"] == "import" and "sha256" in detail:
                detail["file_digest"] = digests().hex(detail.pop("sha256"))
                values["detail"] = audit.canonical(detail)
            values["prev_hash"] = prev
            values["hash"] = prev = audit.entry_hash(prev, values)
            bind.execute(log_t.update().where(log_t.c.seq == row["seq"]).values(
                detail=values["detail"], prev_hash=values["prev_hash"], hash=values["hash"]))
            rewritten += 1
        last = rows[-1]["seq"]
    bind.execute(head_t.update().where(head_t.c.id == 1).values(seq=last, hash=prev))
    if sqlite:
        bind.exec_driver_sql(
            "CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log "
            "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END")
    else:
        bind.exec_driver_sql("ALTER TABLE audit_log ENABLE TRIGGER audit_log_append_only")
    actor = audit.Actor("migration:0003", "operator", source="cli", via="cli")
    audit.append_many(bind, [(actor, audit.Event(
        "rewrite", "audit_log", None,
        {"reason": "plain SHA-256 of imported files replaced by keyed digests (issue 14)",
         "first_rewritten": first, "rehashed": rewritten,
         "previous_head": f"{old_seq}:{old_hash}"}))])
    log.warning("audit log: entries %d..%d re-hashed (file digests now keyed); the previous "
                "head %d:%s is recorded in the new 'rewrite' entry", first, last, old_seq,
                old_hash)


def downgrade() -> None:
    """The schema of 0002 again.  The digests stay keyed (the plain ones are gone): a retry of
    a request stored before the downgrade is then refused as a different request, and the
    audit log keeps its rewritten entries."""
    with op.batch_alter_table('reports') as batch:
        batch.drop_index('ix_reports_import')
    op.drop_table('auth_state')
    op.drop_table('imports')
    op.drop_index('uq_users_username_key', table_name='users')
    # in place (SQLite >= 3.35): a batch rebuild of users would trip the tables that refer to it
    op.execute("ALTER TABLE users DROP COLUMN username_key")
    with op.batch_alter_table('idempotency_keys') as batch:
        batch.alter_column('request_digest', new_column_name='request_sha256',
                           existing_type=sa.String(length=64), existing_nullable=False)
