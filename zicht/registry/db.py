"""Engine and sessions: SQLite (WAL) as the embedded default, PostgreSQL in production.

Every transaction in the registry writes (at least an audit entry), so on SQLite each one
starts with ``BEGIN IMMEDIATE``: writers queue on the database lock (``busy_timeout``) instead
of failing when a read lock cannot be upgraded.  On PostgreSQL the audit chain's head row is
locked (``SELECT ... FOR UPDATE``) to order the entries; see :mod:`zicht.registry.audit`.
"""

from __future__ import annotations

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import Session, sessionmaker

from .settings import Settings

READ_ONLY = "zicht_read_only"


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def normalise_url(url: str) -> str:
    """``postgresql://`` means the psycopg 3 driver here (the one zicht installs)."""
    u = make_url(url)
    if u.drivername in ("postgresql", "postgres"):
        u = u.set(drivername="postgresql+psycopg")
    return u.render_as_string(hide_password=False)


def make_engine(settings: Settings | str) -> Engine:
    if isinstance(settings, str):
        settings = Settings.from_env(database_url=settings)
    url = normalise_url(settings.database_url)
    if not is_sqlite(url):
        return _refuse_nul(create_engine(url, pool_size=20, max_overflow=20,
                                         pool_pre_ping=True))
    engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30},
                           pool_size=20, max_overflow=20)
    sync = settings.sqlite_sync

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_conn, _record):
        dbapi_conn.isolation_level = None  # SQLAlchemy emits BEGIN itself (below)
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute(f"PRAGMA synchronous={sync}")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=30000")
        # deleted and overwritten content is zeroed in the file, not left in free pages (a
        # purged report, a rewritten digest); SQLite's own default depends on how it was built
        cur.execute("PRAGMA secure_delete=ON")
        cur.close()

    @event.listens_for(engine, "begin")
    def _begin(conn):
        # read-only sessions (see read_session_factory) take no write lock
        read_only = conn.get_execution_options().get(READ_ONLY, False)
        conn.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")

    return _refuse_nul(engine)


def _has_nul(params) -> bool:
    if isinstance(params, dict):
        params = params.values()
    elif not isinstance(params, list | tuple):
        return isinstance(params, str) and "\x00" in params
    return any(_has_nul(p) for p in params)


def _refuse_nul(engine: Engine) -> Engine:
    """PostgreSQL cannot store a NUL character in text (psycopg raises DataError, a 500 in the
    web application); refuse it as invalid input on every database, whatever the path (a query
    filter, a path parameter, a user or organisation name), so both behave the same."""

    @event.listens_for(engine, "before_cursor_execute")
    def _no_nul(conn, cursor, statement, parameters, context, executemany):
        if _has_nul(parameters):
            from .errors import ValidationFailed
            from .validation import FieldError

            raise ValidationFailed([(None, FieldError(
                "request", "character", "tekst bevat een NUL-teken (0x00) / text contains a "
                                        "NUL character (0x00)"))])

    return engine


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


def read_session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions for reading only: on SQLite a plain (deferred) BEGIN, so readers never queue
    behind the writer; the caller must not write in them."""
    return sessionmaker(engine.execution_options(**{READ_ONLY: True}), expire_on_commit=False)
