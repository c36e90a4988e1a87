"""The schema: migrations build what the models declare, on SQLite and PostgreSQL; the audit
log refuses UPDATE and DELETE."""

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from zicht.registry import migrate
from zicht.registry.audit import Event
from zicht.registry.models import Base
from zicht.registry.service import operator


def test_migrations_match_models(registry):
    with registry.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == []
    assert migrate.current_revision(registry.engine) == migrate.head_revision()


def test_downgrade_and_upgrade_again(registry):
    migrate.downgrade(registry.engine, "base")
    assert migrate.current_revision(registry.engine) is None
    registry.upgrade()
    assert migrate.current_revision(registry.engine) == migrate.head_revision()


@pytest.mark.parametrize("statement", ["UPDATE audit_log SET actor = 'x'",
                                       "DELETE FROM audit_log"])
def test_audit_log_is_append_only(registry, statement):
    registry.record(operator("test"), Event("test"))
    with pytest.raises(DBAPIError, match="append-only"):
        with registry.engine.begin() as conn:
            conn.execute(text(statement))
    with registry.sessions() as s:
        assert s.execute(text("SELECT count(*) FROM audit_log")).scalar() == 1


def test_sqlite_runs_in_wal_mode(tmp_path):
    from zicht.registry.service import Registry
    from zicht.registry.settings import Settings

    reg = Registry(Settings.from_env(database_url=f"sqlite:///{tmp_path / 'w.db'}"))
    reg.upgrade()
    with reg.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
    reg.dispose()
