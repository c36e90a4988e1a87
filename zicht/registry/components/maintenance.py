"""The schema and its upkeep: migrations (with the rewrite of tables whose digests a
migration replaced), and row counts for the command line's summaries."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select

from .. import security
from ..models import AuditEntry, Organisation, Report, User
from .imports import Imports
from .listing import visible
from .store import Store


class Maintenance:
    def __init__(self, store: Store, imports: Imports):
        self.store = store
        self.imports = imports

    def upgrade(self, revision: str = "head") -> None:
        """Migrate the schema (the key is read only if a migration has digests to rewrite),
        then delete what abandoned imports left."""
        from .. import migrate

        engine = self.store.engine
        before = migrate.current_revision(engine)
        migrate.upgrade(engine, revision,
                        digest_key=lambda: security.derive_digest_key(self.store.key()))
        after = migrate.current_revision(engine)
        if before in ("0001", "0002") and after not in (None, "0001", "0002"):
            self._scrub(("idempotency_keys", "audit_log"))
        if after == migrate.head_revision():
            self.imports.discard_stale_imports()

    def _scrub(self, tables: Sequence[str]) -> None:
        """Rewrite ``tables`` in full after migration 0003 replaced their plain digests: an
        UPDATE or a dropped column leaves the old values in the files (PostgreSQL's dead row
        versions and dropped columns survive until the table is rewritten; SQLite's free
        pages and write-ahead log) for anyone with a copy of the files.  PostgreSQL: VACUUM
        FULL; SQLite: VACUUM and an emptied write-ahead log.  Backups and WAL archives made
        before the migration still hold the old values (docs/REGISTRY.md)."""
        engine = self.store.engine
        if engine.dialect.name == "sqlite":
            raw = engine.raw_connection()
            try:
                conn = raw.driver_connection
                conn.execute("VACUUM")
                conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            finally:
                raw.close()
            return
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            for table in tables:
                conn.exec_driver_sql(f"VACUUM FULL {table}")

    def counts(self) -> dict:
        """Row counts (for the command line's summaries; not audited: no personal data)."""
        with self.store.read_sessions() as s:
            return {"organisations": s.scalar(select(func.count(Organisation.id))),
                    "users": s.scalar(select(func.count(User.id))),
                    "reports": s.scalar(select(func.count(Report.id)).where(visible())),
                    "audit_entries": s.scalar(select(func.count(AuditEntry.seq)))}
